module github.com/noorle/noorle-sdk/scripts/go-modzip

go 1.24.0

require golang.org/x/mod v0.30.0
