package at

import "regexp"

// testHeaders are the counted-data headers of the modems the project
// ships flows for, as their dialects declare them (scripts/<vendor>/):
// the framer's tests use real shapes.
var testHeaders = []DataHeader{
	{Re: regexp.MustCompile(`^\+IPD,(?:\d+,)?(\d+):$`), LenGroup: 1, Inline: true},
	{Re: regexp.MustCompile(`^\+RECEIVE,\d+,(\d+):$`), LenGroup: 1},
	{Re: regexp.MustCompile(`^\+CIPRXGET: ?2,(?:\d+,)?(\d+),\d+$`), LenGroup: 1},
	{Re: regexp.MustCompile(`^\+CMQTTRX(?:TOPIC|PAYLOAD): ?\d+,(\d+)$`), LenGroup: 1},
	{Re: regexp.MustCompile(`^\+MQTTSUBRECV: ?\d+,"[^"]*",(\d+),$`), LenGroup: 1, Inline: true},
	{Re: regexp.MustCompile(`^\+MSUB: ?"[^"]*",(\d+) byte,$`), LenGroup: 1, Inline: true},
	{Re: regexp.MustCompile(`^\+MSUB: ?[^"\r\n][^\r\n]*?,(\d+) byte,$`), LenGroup: 1, Inline: true},
	{Re: regexp.MustCompile(`^\+QIRD: ?(\d+)$`), LenGroup: 1},
	{Re: regexp.MustCompile(`^\+USORD: ?\d+,(\d+),"$`), LenGroup: 1, Inline: true, Suffix: `"`},
	{Re: regexp.MustCompile(`^\+SMSUB: ?"[^"]*",(\d+),$`), LenGroup: 1, Inline: true},
	{Re: regexp.MustCompile(`^\+QMTRECV: ?\d+,\d+,"[^"]*",(\d+),"$`), LenGroup: 1, Inline: true, Suffix: `"`},
}
