//go:build pbnhl_deps

// Package deps pins the module's chosen dependencies in go.mod before every
// package that uses them exists. It is never built (build tag pbnhl_deps).
package deps

import (
	_ "github.com/go-resty/resty/v2"
	_ "github.com/nyaruka/phonenumbers"
	_ "github.com/pb33f/libopenapi-validator"
	_ "github.com/sony/gobreaker/v2"
	_ "github.com/stretchr/testify/require"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
