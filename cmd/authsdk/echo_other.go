//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos)

package main

// echoOff does nothing here: term.ReadPassword turns echo off itself.
func echoOff(int) error { return nil }
