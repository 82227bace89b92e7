module github.com/noorle/noorle-sdk/bindings-go

go 1.24
