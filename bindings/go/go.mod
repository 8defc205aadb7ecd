module github.com/libclerk/libclerk/bindings/go

go 1.19
