//go:build tools

// Package tools pins the code generator in go.mod so `make generate` runs the
// same oapi-codegen version on every machine. No consumer imports it.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
