package lang

var robustCases = []struct{ name, src string }{}
