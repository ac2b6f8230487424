module cascadence.example/cronyx-go-plugin

go 1.23
