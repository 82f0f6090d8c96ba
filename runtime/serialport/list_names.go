//go:build darwin && !cgo

package serialport

import "go.bug.st/serial"

// listPorts without cgo: go.bug.st/serial's macOS enumerator needs IOKit
// through cgo, so a cross-compiled binary lists names without USB identity.
func listPorts() ([]Info, error) {
	names, err := serial.GetPortsList()
	if err != nil {
		return nil, err
	}
	infos := make([]Info, len(names))
	for i, n := range names {
		infos[i] = Info{Name: n}
	}
	return infos, nil
}
