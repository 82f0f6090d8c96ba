package serialport

// Validate reports a line setting no port can take (data bits outside
// 5-8, an unknown parity or stop bits, a negative baud rate), so that a
// command line can refuse it before it opens anything.
func (c Config) Validate() error {
	_, err := c.mode()
	return err
}
