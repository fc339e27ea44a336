// viperwatch - the Viper peer: load FILE, then print the "seq" it holds on
// every OnConfigChange (WatchConfig, fsnotify underneath). Built offline in
// GOPATH mode against Debian's golang-github-spf13-viper-dev.
// usage: viperwatch FILE
package main

import (
	"fmt"
	"os"

	"github.com/fsnotify/fsnotify"
	"github.com/spf13/viper"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: viperwatch FILE")
		os.Exit(2)
	}
	v := viper.New()
	v.SetConfigFile(os.Args[1])
	if err := v.ReadInConfig(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("{\"seq\":%d}\n", v.GetInt("seq"))
	v.OnConfigChange(func(fsnotify.Event) {
		fmt.Printf("{\"seq\":%d}\n", v.GetInt("seq"))
	})
	v.WatchConfig()
	select {}
}
