package main

import (
	"fmt"
	"io"
	"strings"

	"rsc.io/qr"
)

// Colors of the QR code, set explicitly (black on bright white) so that it
// reads the same on a dark and a light terminal theme: a code drawn in the
// terminal's own colors is inverted on one of them, and many phones do not
// read an inverted code.
const (
	qrColors = "\x1b[30;107m"
	qrReset  = "\x1b[0m"
	// qrQuietX is the light margin left and right of the code, in modules;
	// above it is 1 module, below 1 or 2 (a half-height row holds 2).
	qrQuietX = 2
)

// qrBlock is the character for a half-height cell: top and bottom module dark?
var qrBlock = [2][2]string{{" ", "▄"}, {"▀", "█"}}

// qrLines renders text as a QR code, two module rows per line, with its
// colors and light margins, and the lines' width in columns; nil if text
// does not fit in a QR code.
func qrLines(text string) ([]string, int) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return nil, 0
	}
	n := code.Size
	dark := func(x, y int) bool { return x >= 0 && y >= 0 && x < n && y < n && code.Black(x, y) }
	var lines []string
	for y := -1; y < n+1; y += 2 {
		var b strings.Builder
		b.WriteString(qrColors)
		for x := -qrQuietX; x < n+qrQuietX; x++ {
			b.WriteString(qrBlock[btoi(dark(x, y))][btoi(dark(x, y+1))])
		}
		b.WriteString(qrReset)
		lines = append(lines, b.String())
	}
	return lines, n + 2*qrQuietX
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// signInScreen shows a sign-in link on a terminal of width×height: the QR
// code with the instructions on its right, then the link, so that both stay
// on the screen (the link last: it is what a user copies). It returns a
// func that rewrites the status line beside the code (the time left), or
// nil when the code does not fit and only the link was written.
func signInScreen(w io.Writer, link string, width, height int) func(status string) {
	lines, qw := qrLines(link)
	linkLines := (len([]rune(link)) + width - 1) / max(width, 1)
	side := []string{"Scan the code with a phone,", "or open the link below,", "and approve the sign-in.", ""}
	const statusRow = 4
	sideWidth := 0
	for _, s := range side {
		sideWidth = max(sideWidth, len([]rune(s)))
	}
	if lines == nil || len(lines)+linkLines > height || qw+2+sideWidth > width || len(lines) <= statusRow {
		return nil
	}
	for i, l := range lines {
		fmt.Fprint(w, l)
		if i < len(side) {
			fmt.Fprint(w, "  "+side[i])
		}
		fmt.Fprint(w, "\n")
	}
	// No newline after the link: one more line would push the code's top
	// row off a screen it just fits.
	fmt.Fprint(w, link)
	up := len(lines) - statusRow + linkLines - 1
	return func(status string) {
		// Save the cursor, go to the status row right of the code, rewrite
		// it, come back.
		fmt.Fprintf(w, "\x1b7\x1b[%dA\x1b[%dG\x1b[K%s\x1b8", up, qw+3, status)
	}
}
