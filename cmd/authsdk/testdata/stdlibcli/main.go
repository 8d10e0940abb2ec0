// Command stdlibcli is the baseline of BenchmarkStartup: a CLI of the same
// shape that links only the standard packages authsdk needs (net/http,
// encoding/json, crypto, log/slog) and prints its help.
package main

import (
	"crypto/aes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
)

func main() {
	fs := flag.NewFlagSet("stdlibcli", flag.ContinueOnError)
	url := fs.String("url", "https://plex.tv/api/v2/user", "`URL` to get")
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() > 0 && fs.Arg(0) == "help" {
		fmt.Println("stdlibcli: the baseline\n\nUsage: stdlibcli [flags]")
		return
	}
	// What authsdk's commands do, so that the linker keeps it all.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := aes.NewCipher(priv[:32])
	sum := sha256.Sum256(priv)
	slog.Info("get", "url", *url, "block", block.BlockSize(), "sum", sum[0])
	rsp, err := http.Get(*url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer rsp.Body.Close()
	var v any
	_ = json.NewDecoder(rsp.Body).Decode(&v)
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}
