//go:build linux || darwin

package main

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// screen is a small terminal emulator: enough of VT100 to replay what
// plex login writes (text, line ends, SGR colors, cursor save/restore and
// moves, erase to end of line, scrolling) into a width×height grid.
type screen struct {
	w, h        int
	cells       [][]cell
	x, y        int
	sx, sy      int
	fg, bg      int // -1: the theme's default
	wrapPending bool
}

type cell struct {
	r      rune
	fg, bg int
}

func newScreen(w, h int) *screen {
	s := &screen{w: w, h: h, fg: -1, bg: -1}
	for range h {
		s.cells = append(s.cells, s.blankRow())
	}
	return s
}

func (s *screen) blankRow() []cell {
	row := make([]cell, s.w)
	for i := range row {
		row[i] = cell{' ', -1, -1}
	}
	return row
}

func (s *screen) lineFeed() {
	if s.y == s.h-1 {
		s.cells = append(s.cells[1:], s.blankRow())
		return
	}
	s.y++
}

func (s *screen) write(out string) {
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\r':
			s.x, s.wrapPending = 0, false
		case r == '\n':
			s.lineFeed()
			s.wrapPending = false
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '7':
			s.sx, s.sy = s.x, s.y
			i++
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '8':
			s.x, s.y, s.wrapPending = s.sx, s.sy, false
			i++
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
				j++
			}
			if j == len(rs) {
				return
			}
			s.csi(string(rs[i+2:j]), rs[j])
			i = j
		case r < 0x20:
		default:
			if s.wrapPending {
				s.x = 0
				s.lineFeed()
				s.wrapPending = false
			}
			s.cells[s.y][s.x] = cell{r, s.fg, s.bg}
			if s.x == s.w-1 {
				s.wrapPending = true
			} else {
				s.x++
			}
		}
	}
}

func (s *screen) csi(params string, final rune) {
	n := func(def int) int {
		v, err := strconv.Atoi(params)
		if err != nil || v == 0 {
			return def
		}
		return v
	}
	switch final {
	case 'm':
		for _, p := range strings.Split(params, ";") {
			v, _ := strconv.Atoi(p)
			switch {
			case v == 0:
				s.fg, s.bg = -1, -1
			case v >= 30 && v <= 37, v >= 90 && v <= 97:
				s.fg = v
			case v >= 40 && v <= 47, v >= 100 && v <= 107:
				s.bg = v
			}
		}
	case 'K':
		for x := s.x; x < s.w; x++ {
			s.cells[s.y][x] = cell{' ', s.fg, s.bg}
		}
	case 'A':
		s.y = max(0, s.y-n(1))
		s.wrapPending = false
	case 'G':
		s.x = min(s.w-1, n(1)-1)
		s.wrapPending = false
	}
}

// text is the screen's characters, one string per row, trailing spaces cut.
func (s *screen) text() []string {
	var rows []string
	for _, row := range s.cells {
		var b strings.Builder
		for _, c := range row {
			b.WriteRune(c.r)
		}
		rows = append(rows, strings.TrimRight(b.String(), " "))
	}
	return rows
}

// image renders the screen with a theme's default colors: each cell 4
// pixels wide and 8 high, half blocks as two 4×4 halves.
func (s *screen) image(darkTheme bool) image.Image {
	const cw, ch = 4, 8
	def := map[bool][2]color.Gray{true: {{0xee}, {0x11}}, false: {{0x11}, {0xff}}}[darkTheme] // fg, bg
	resolve := func(code int, isFg bool) color.Gray {
		switch {
		case code == -1 && isFg:
			return def[0]
		case code == -1:
			return def[1]
		case code == 30 || code == 40 || code == 90 || code == 100:
			return color.Gray{0x11}
		}
		return color.Gray{0xff}
	}
	img := image.NewGray(image.Rect(0, 0, s.w*cw, s.h*ch))
	for y, row := range s.cells {
		for x, c := range row {
			fg, bg := resolve(c.fg, true), resolve(c.bg, false)
			top, bottom := bg, bg
			switch c.r {
			case '█':
				top, bottom = fg, fg
			case '▀':
				top = fg
			case '▄':
				bottom = fg
			}
			for py := range ch {
				col := top
				if py >= ch/2 {
					col = bottom
				}
				for px := range cw {
					img.SetGray(x*cw+px, y*ch+py, col)
				}
			}
		}
	}
	return img
}

// TestLoginQRCodeOn80x24 runs plex login on an 80×24 pseudo-terminal, as a
// newcomer would after "authsdk-demo serve": the QR code and the whole link
// stay on the screen, and the code decodes to the link on a dark and on a
// light terminal theme.
func TestLoginQRCodeOn80x24(t *testing.T) {
	// A short client identifier and this installation's identity (a UUID:
	// a longer link, shown without the product name to fit) both fit 80×24.
	for _, tc := range []struct {
		rows uint16
		env  []string
	}{
		{24, []string{"PLEX_CLIENT_IDENTIFIER=authsdk-1a2b3c4d5e6f"}},
		{24, nil},
	} {
		t.Run(fmt.Sprintf("80x%d/%d", tc.rows, len(tc.env)), func(t *testing.T) { loginQRCodeDecodes(t, tc.rows, tc.env) })
	}
}

func loginQRCodeDecodes(t *testing.T, rowsN uint16, env []string) {
	srv := plextest.NewServer()
	defer srv.Close()
	cmd, ptmx, _, out := startOnPTY(t, &pty.Winsize{Rows: rowsN, Cols: 80},
		append([]string{"PLEX_TV_URL=" + srv.PlexTVURL(), "TERM=xterm-256color"}, env...), "plex", "login")
	out.waitForCount(t, " left", 2) // the countdown has ticked once
	raw := out.String()
	_, _ = ptmx.Write([]byte{3}) // Ctrl-C
	code, exited := exitWithin(cmd)
	if !exited {
		t.Fatal("Ctrl-C did not end plex login")
	}
	if code != 130 {
		t.Errorf("exit %d, want 130", code)
	}

	s := newScreen(80, int(rowsN))
	s.write(raw)
	rows := s.text()
	var link string
	for i, r := range rows {
		if strings.HasPrefix(r, "https://") {
			link = strings.Join(rows[i:], "")
			break
		}
	}
	pending := srv.PendingPins()
	if link == "" || len(pending) != 1 || !strings.Contains(link, "code="+pending[0]) {
		t.Fatalf("the whole link is not on the 80×%d screen (pins %v):\n%s", rowsN, pending, strings.Join(rows, "\n"))
	}
	if !strings.Contains(strings.Join(rows, "\n"), "left") {
		t.Errorf("no time left beside the code:\n%s", strings.Join(rows, "\n"))
	}
	for _, dark := range []bool{true, false} {
		bmp, err := gozxing.NewBinaryBitmapFromImage(s.image(dark))
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
		if err != nil {
			t.Errorf("dark theme %v: the QR code does not decode: %v\n%s", dark, err, strings.Join(rows, "\n"))
			continue
		}
		if res.GetText() != link {
			t.Errorf("dark theme %v: decodes to %q, the link is %q", dark, res.GetText(), link)
		}
	}
}

// Without a terminal (a log file, a pipe) there is no QR code.
func TestLoginNoQRCodeWithoutTerminal(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	srv.ApproveNextPin(1, plextest.UserToken)
	cmd := exec.Command(binary, "plex", "login")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PLEX_TV_URL=" + srv.PlexTVURL(), "AUTHSDK_CONFIG_DIR=" + testConfigDir(t)}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(errb.String(), "▀▄█\x1b") || !strings.Contains(errb.String(), "https://app.plex.tv/auth#?") {
		t.Errorf("stderr without a terminal:\n%s", errb.String())
	}
}
