package highlevel

import (
	"errors"
	"slices"
	"testing"
)

func TestPages(t *testing.T) {
	total := func(n float64) *float64 { return &n }
	// listing of n items served size at a time; reports the total when withTotal.
	list := func(n int, withTotal bool, calls *[]int) func(int) ([]int, *float64, error) {
		return func(skip int) ([]int, *float64, error) {
			*calls = append(*calls, skip)
			var items []int
			for i := skip; i < n && i < skip+3; i++ {
				items = append(items, i)
			}
			if withTotal {
				return items, total(float64(n)), nil
			}
			return items, nil, nil
		}
	}
	for _, tc := range []struct {
		name      string
		n         int
		withTotal bool
		wantCalls []int
	}{
		{"short last page", 7, false, []int{0, 3, 6}},
		{"full last page, no total: one empty call more", 6, false, []int{0, 3, 6}},
		{"full last page, total: no call more", 6, true, []int{0, 3}},
		{"empty", 0, true, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls, got []int
			for v, err := range pages(3, list(tc.n, tc.withTotal, &calls)) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if len(got) != tc.n {
				t.Errorf("got %v, want %d items", got, tc.n)
			}
			for i, v := range got {
				if v != i {
					t.Fatalf("got %v: out of order", got)
				}
			}
			if !slices.Equal(calls, tc.wantCalls) {
				t.Errorf("calls at skip %v, want %v", calls, tc.wantCalls)
			}
		})
	}

	t.Run("caller stops", func(t *testing.T) {
		var calls []int
		for v := range pages(3, list(100, true, &calls)) {
			if v == 4 {
				break
			}
		}
		if !slices.Equal(calls, []int{0, 3}) {
			t.Errorf("calls at skip %v after stopping in the second page", calls)
		}
	})

	t.Run("error ends the listing", func(t *testing.T) {
		boom := errors.New("boom")
		n, errs := 0, 0
		for _, err := range pages(3, func(skip int) ([]int, *float64, error) {
			if skip > 0 {
				return []int{99}, nil, boom // items with an error are not yielded
			}
			return []int{1, 2, 3}, nil, nil
		}) {
			if err != nil {
				if !errors.Is(err, boom) {
					t.Fatal(err)
				}
				errs++
				continue
			}
			n++
		}
		if n != 3 || errs != 1 {
			t.Errorf("got %d items and %d errors, want 3 and 1", n, errs)
		}
	})

	t.Run("failed", func(t *testing.T) {
		boom := errors.New("bad argument")
		n := 0
		for v, err := range failed[*int](boom) {
			if v != nil || !errors.Is(err, boom) {
				t.Errorf("got %v, %v", v, err)
			}
			n++
		}
		if n != 1 {
			t.Errorf("yielded %d times", n)
		}
	})

	if pageSize(0) != 100 || pageSize(-1) != 100 || pageSize(7) != 7 {
		t.Error("pageSize")
	}
}
