package plex

import "time"

// SetDeviceJWTTiming shortens the device JWT's life for a test; the
// returned func restores it.
func SetDeviceJWTTiming(life, renewBefore time.Duration) (restore func()) {
	l, r := deviceJWTLifetime, deviceJWTRenewBefore
	deviceJWTLifetime, deviceJWTRenewBefore = life, renewBefore
	return func() { deviceJWTLifetime, deviceJWTRenewBefore = l, r }
}
