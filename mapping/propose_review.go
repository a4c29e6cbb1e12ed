package mapping

// The proposal's Markdown review (the map's own review is in review.go).

import (
	"fmt"
	"io"
	"strings"
)

// WriteReview renders the proposal for its reviewer: the map's review
// (every rule with its confidence and reason), then the fields left
// unmapped or weak, and the proposer's notes.
func (p *Proposal) WriteReview(w io.Writer, opts ReviewOptions) error {
	if err := p.Map.WriteReview(w, opts); err != nil {
		return err
	}
	b := &strings.Builder{}
	b.WriteString("\n## Proposer's list for review\n\n")
	if len(p.Review) == 0 {
		b.WriteString("Nothing.\n")
	} else {
		b.WriteString("| Object | Source field | Proposed target | Confidence | Why |\n|---|---|---|---|---|\n")
		for _, r := range p.Review {
			t := "—"
			if r.Target != "" {
				t = "`" + r.Target + "`"
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %.2f | %s |\n", mdCell(r.Object), mdCell(r.Field), t, r.Confidence, mdCell(r.Why))
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range p.Notes {
			fmt.Fprintf(b, "- %s\n", mdText(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
