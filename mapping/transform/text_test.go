package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCollapse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"John", "John"},
		{"  John   Smith ", "John Smith"},
		{"John\tA.\r\nSmith", "John A. Smith"},
		{"\u00a0Maine\u00a0", "Maine"},
		{"\ufeffBOM\u200bzero", "BOMzero"},
		{"bell\x07char", "bellchar"},
		{"bad\xffbyte", "bad\ufffdbyte"},
		{"日本  語", "日本 語"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Collapse(tt.in), "input %q", tt.in)
		assert.Equal(t, tt.want, Collapse(Collapse(tt.in)), "idempotent %q", tt.in)
	}
}

func TestCollapseDoesNotAllocateWhenClean(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _ = Collapse("John A. Smith") })
	assert.Zero(t, allocs)
}

func TestTrimUpperLower(t *testing.T) {
	assert.Equal(t, "a b", Trim(" \ta b\u00a0"))
	assert.Equal(t, "MAINE", Upper("Maine"))
	assert.Equal(t, "maine", Lower("MAINE"))
	assert.Equal(t, "ÉCOLE", Upper("école"))
}

func TestTitleName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"JOHN SMITH", "John Smith"},
		{"john smith", "John Smith"},
		{"  MARY-JANE   O'BRIEN ", "Mary-Jane O'Brien"},
		{"MARY-JANE o'brien", "MARY-JANE o'brien"}, // mixed across words: left alone
		{"MCDONALD", "McDonald"},
		{"mack", "Mack"},
		{"ROBERT SMITH III", "Robert Smith III"},
		{"jane doe dds", "Jane Doe DDS"},
		{"JOHN DOE PHD", "John Doe PhD"},
		{"DeAndre van Dyke", "DeAndre van Dyke"}, // mixed case is deliberate
		{"ÉLODIE ÇA", "Élodie Ça"},
		{"J.R.R. TOLKIEN", "J.R.R. Tolkien"},
		{"1234", "1234"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, TitleName(tt.in), "input %q", tt.in)
	}
}
