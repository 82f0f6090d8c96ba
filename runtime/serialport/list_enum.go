//go:build !darwin || cgo

package serialport

import (
	"strings"

	"go.bug.st/serial/enumerator"
)

func listPorts() ([]Info, error) {
	details, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, err
	}
	infos := make([]Info, 0, len(details))
	for _, d := range details {
		if d == nil || d.Name == "" {
			continue
		}
		infos = append(infos, Info{
			Name:    d.Name,
			IsUSB:   d.IsUSB,
			VID:     strings.ToUpper(d.VID),
			PID:     strings.ToUpper(d.PID),
			Serial:  d.SerialNumber,
			Product: d.Product,
		})
	}
	return infos, nil
}
