package inbound

import (
	"crypto/tls"
	"net"
)

// tlsClient wraps conn in TLS for host (imaps://), checking its
// certificate against the system's roots.
func tlsClient(conn net.Conn, host string) net.Conn {
	return tls.Client(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
}
