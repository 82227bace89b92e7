module github.com/noorle/noorle-sdk/bench/memory/go

go 1.24

require github.com/noorle/noorle-sdk/bindings-go v0.0.0

replace github.com/noorle/noorle-sdk/bindings-go => ../../../bindings-go
