package runtime

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestTranscriptMasksAcrossPieces(t *testing.T) {
	const sec = "S3cr3tPw"
	for _, tc := range []struct {
		name   string
		pieces []string
		want   []string // the records' quoted texts
	}{
		{"a secret in three reads", []string{"+TOKEN: S3", "cr3", "tPw\r\nOK\r\n"}, []string{`"+TOKEN: "`, `"***\r\nOK\r\n"`}},
		{"a secret across lines", []string{"x S3cr", "3tPw y"}, []string{`"x "`, `"*** y"`}},
		{"a start that was no secret stays its own record", []string{"AT+X=S3", "\r", "AT+Y\r"}, []string{`"AT+X="`, `"S3"`, `"\r"`, `"AT+Y\r"`}},
		{"the hex form", []string{"5333637233", "7450770D"}, []string{`"***0D"`}},
		{"held to the end", []string{"tail S3c"}, []string{`"tail "`, `"S3c"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			tr := newTranscript(&b, NewRedactor(sec))
			for _, p := range tc.pieces {
				tr.onRx([]byte(p), time.Time{})
			}
			tr.close()
			var got []string
			for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				_, q, _ := strings.Cut(line, " RX ")
				got = append(got, q)
			}
			assert.Equal(t, tc.want, got)
			assert.NotContains(t, b.String(), sec)
		})
	}
}

func TestCutsKeepCharactersWhole(t *testing.T) {
	long := strings.Repeat("é", 120) // 240 bytes, two per character
	for _, s := range []string{shorten("send \"" + long + "\""), excerpt(long)} {
		assert.True(t, utf8.ValidString(s), "%q", s)
	}
	assert.Equal(t, "ab", runeCut("abé", 3))
}
