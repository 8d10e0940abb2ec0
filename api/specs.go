// Package api embeds the hand-written OpenAPI documents, the source of truth
// for gen/. Only the spec-validated fakes and tests import it, so consumers'
// binaries never carry the documents or kin-openapi.
package api

import _ "embed"

// ZiggeoSpec is api/ziggeo/openapi.yaml.
//
//go:embed ziggeo/openapi.yaml
var ZiggeoSpec []byte

// PlexSpec is api/plex/openapi.yaml.
//
//go:embed plex/openapi.yaml
var PlexSpec []byte
