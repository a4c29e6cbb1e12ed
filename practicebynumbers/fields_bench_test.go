package practicebynumbers

import (
	"testing"
	"time"
)

func BenchmarkParseTimestamp(b *testing.B) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct{ name, in string }{
		{"canonical", "2024-03-04 10:04:05-05:00"},
		{"local", "2024-03-04 10:04:05"},
		{"us", "3/4/2024 10:04 AM"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseTimestamp(tc.in, ny); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseDate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDate("1987-06-05"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMoneyCell(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMoney("$1,234.56"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEnum(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAppointmentStatus("Complete"); err != nil {
			b.Fatal(err)
		}
	}
}
