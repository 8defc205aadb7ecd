module github.com/libclerk/libclerk/bench/go

go 1.19

require github.com/libclerk/libclerk/bindings/go v0.0.0

replace github.com/libclerk/libclerk/bindings/go => ../../bindings/go
