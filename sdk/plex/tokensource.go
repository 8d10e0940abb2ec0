package plex

import (
	"context"
	"errors"
)

// TokenSource supplies a Plex token (a plex.tv token or a Plex JWT) per
// request. *JWTSource is one; StaticToken makes one from a fixed token.
type TokenSource interface {
	PlexToken(ctx context.Context) (string, error)
}

// TokenRefuser is a TokenSource that can be told a token was refused.
// Transport calls TokenRefused after plex.tv's (or *.plex.tv's) 401 or
// 498, and then asks for a token again: a source that drops the refused
// token (only if it is still the one it holds) lets the request be
// replayed with a new one. Other hosts' refusals are not reported: they
// cannot speak for plex.tv. *JWTSource implements it.
type TokenRefuser interface {
	TokenSource
	TokenRefused(token string)
}

// StaticToken is a TokenSource that always returns token. For "" its
// PlexToken returns an error (so a Transport sends nothing).
func StaticToken(token string) TokenSource { return staticToken{&token} }

// staticToken keeps the token behind a pointer: fmt walks unexported
// fields without calling their methods, so only an address may be there.
type staticToken struct{ token *string }

func (t staticToken) PlexToken(context.Context) (string, error) {
	if *t.token == "" {
		return "", errors.New("plex.StaticToken: empty token")
	}
	return *t.token, nil
}
