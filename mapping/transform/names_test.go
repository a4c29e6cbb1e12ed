package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitName(t *testing.T) {
	tests := []struct {
		in   string
		want Name
	}{
		{"", Name{}},
		{"Smith, John A.", Name{First: "John", Middle: "A.", Last: "Smith"}},
		{"John A. Smith", Name{First: "John", Middle: "A.", Last: "Smith"}},
		{"Dr. Jane van Dyke Jr.", Name{Prefix: "Dr.", First: "Jane", Last: "van Dyke", Suffix: "Jr."}},
		{"Smith Jr., John", Name{First: "John", Last: "Smith", Suffix: "Jr."}},
		{"Smith, John, Jr.", Name{First: "John", Last: "Smith", Suffix: "Jr."}},
		{"John Smith, Jr., DDS", Name{First: "John", Last: "Smith", Suffix: "Jr., DDS"}},
		{"John Smith III", Name{First: "John", Last: "Smith", Suffix: "III"}},
		{`John "Jack" Smith`, Name{First: "John", Last: "Smith", Nickname: "Jack"}},
		{"Robert (Bob) Jones", Name{First: "Robert", Last: "Jones", Nickname: "Bob"}},
		{"Mary O'Brien", Name{First: "Mary", Last: "O'Brien"}},
		{"Maria De La Cruz", Name{First: "Maria", Last: "De La Cruz"}},
		{"Ludwig van der Berg", Name{First: "Ludwig", Last: "van der Berg"}},
		{"Cher", Name{First: "Cher"}},
		{"Dr. Smith", Name{Prefix: "Dr.", Last: "Smith"}},
		{"  JOHN   SMITH  ", Name{First: "JOHN", Last: "SMITH"}},
		{"John Paul Jones Smith", Name{First: "John", Middle: "Paul Jones", Last: "Smith"}},
		{"van Dyke, Jane", Name{First: "Jane", Last: "van Dyke"}},
		{"Jr", Name{First: "Jr"}},
		{"Sam Do", Name{First: "Sam", Last: "Do"}},
		{"Anh Van Do", Name{First: "Anh", Middle: "Van", Last: "Do"}},
		{"Anh Van Nguyen", Name{First: "Anh", Middle: "Van", Last: "Nguyen"}},
		{"Anh Van Minh Nguyen", Name{First: "Anh", Middle: "Van Minh", Last: "Nguyen"}},
		{"Jane van Dyke", Name{First: "Jane", Last: "van Dyke"}},
		{"Jan Van Der Berg", Name{First: "Jan", Last: "Van Der Berg"}},
		{"Maria De Souza", Name{First: "Maria", Last: "De Souza"}},
		{"Jane Van Dyke", Name{First: "Jane", Middle: "Van", Last: "Dyke"}},
		{"Van Dyke, Jane", Name{First: "Jane", Last: "Van Dyke"}},
		{"John Paul Do", Name{First: "John", Middle: "Paul", Last: "Do"}},
	}
	for _, tt := range tests {
		got, err := SplitName(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestSplitNameErrors(t *testing.T) {
	for _, in := range []string{"123", "---", ", ,", "Dr.", "Mr. and Mrs. Smith", "John & Mary Smith"} {
		_, err := SplitName(in)
		assert.ErrorIs(t, err, ErrInvalid, in)
	}
}

func TestIsPlaceholderName(t *testing.T) {
	for _, n := range [][2]string{{"New", "Patient"}, {"NEW", "Appointment"}, {"Mary", "Call In"}, {"Pt", "New Patient"}, {"Test", "Test"}, {"Unknown", ""}, {"x", "walk-in"}} {
		assert.True(t, IsPlaceholderName(n[0], n[1]), n)
	}
	for _, n := range [][2]string{{"John", "Smith"}, {"New", "Smith"}, {"Patience", "Newman"}, {"", ""}} {
		assert.False(t, IsPlaceholderName(n[0], n[1]), n)
	}
}
