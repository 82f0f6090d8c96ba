package sim7000_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/atrun/atrun/sim"
)

// FuzzSession feeds arbitrary host bytes to a SIM7000 session: it must
// never fail internally (a profile panic ends Serve with an error). Every
// connection goes to a closed local port.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"ATE0\rAT+CSTT=\"apn\"\rAT+CIICR\rAT+CIFSR\rAT+CIPSTART=\"TCP\",\"h\",1\r",
		"AT+CIPMUX=1\rAT+CIPRXGET=2,9,99999\rAT+CIPSEND=7,0\r",
		"AT+CIPSENDHEX=1\rAT+CIPSEND=3\r0g\x1a\x1b",
		"AT+SMCONF=\"URL\",\"h:99999\"\rAT+SMPUB=\"\",-1,3,3\rAT+SMSUB\r",
		"AT+CFUN=1,1\rAT\rAT+CREG=2;+CREG?\r\n",
		"AT+CSTT=\"a\",\"b\",\"c\",\"d\"\rAT+CIPCLOSE=9\rAT+CIPSTATUS=99\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := sim.New("sim7000", sim.Options{Broker: "127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		host, dev := net.Pipe()
		errc := make(chan error, 1)
		go func() { errc <- m.Serve(context.Background(), dev) }()
		go io.Copy(io.Discard, host)
		host.Write(in)
		host.Close()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}
