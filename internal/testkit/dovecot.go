package testkit

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Dovecot is a real IMAP server (Debian's dovecot-imapd, installed by
// `make test`) run for one test, with a configuration of its own in a
// temporary folder, on a free port of the loopback, and one mailbox.
type Dovecot struct {
	tb       testing.TB
	Addr     string
	User     string
	Password string
	dir      string
	conf     string
	cmd      *exec.Cmd
}

// DovecotBinary is the server the tests run: DOVECOT, else Debian's.
func DovecotBinary() string {
	if b := os.Getenv("DOVECOT"); b != "" {
		return b
	}
	if b, err := exec.LookPath("dovecot"); err == nil {
		return b
	}
	return "/usr/sbin/dovecot"
}

// NewDovecot starts a Dovecot for tb, stopped when tb ends. It fails the
// test, saying so, when Dovecot is not installed (`make dovecot`).
func NewDovecot(tb testing.TB) *Dovecot {
	tb.Helper()
	bin := DovecotBinary()
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("Dovecot (%s) is not installed: run `make dovecot` (Debian's dovecot-imapd): %v", bin, err)
	}
	dir, err := os.MkdirTemp("", "vivier-dovecot-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	for _, sub := range []string{"run", "state", "mail"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	// The server's processes must reach the folder: run as root, they
	// switch to Dovecot's own users.
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	mailUser, loginUser, internalUser := "", "dovenull", "dovecot"
	if os.Getuid() == 0 {
		mailUser = "uid=dovecot gid=dovecot"
		if err := chownTo(filepath.Join(dir, "mail"), "dovecot"); err != nil {
			tb.Fatalf("Dovecot's user: %v (is dovecot-imapd installed?)", err)
		}
	} else {
		u, err := user.Current()
		if err != nil {
			tb.Fatal(err)
		}
		mailUser = "uid=" + u.Uid + " gid=" + u.Gid
		loginUser, internalUser = u.Username, u.Username
	}
	port := freePort(tb)
	d := &Dovecot{tb: tb, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), User: "recrutement", Password: "mot-de-passe-de-test", dir: dir}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[1]s/mail/%%u
first_valid_uid = 0
default_login_user = %[2]s
default_internal_user = %[3]s
passdb {
  driver = static
  args = password=%[4]s
}
userdb {
  driver = static
  args = %[5]s home=%[1]s/mail/%%u
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[6]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`, dir, loginUser, internalUser, d.Password, mailUser, port)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	d.conf = confPath
	tb.Cleanup(d.Stop)
	d.Start()
	return d
}

// Start starts the server again after Stop, on the same port and mailbox.
func (d *Dovecot) Start() {
	tb := d.tb
	tb.Helper()
	var out bytes.Buffer
	d.cmd = exec.Command(DovecotBinary(), "-F", "-c", d.conf)
	d.cmd.Stdout, d.cmd.Stderr = &out, &out
	if err := d.cmd.Start(); err != nil {
		tb.Fatalf("start Dovecot: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := imapclient.DialInsecure(d.Addr, nil)
		if err == nil {
			err = c.Login(d.User, d.Password).Wait()
			c.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
			tb.Fatalf("Dovecot did not answer on %s: %v\n%s\n%s", d.Addr, err, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (the one this test started, by its process).
func (d *Dovecot) Stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
}

// URL is INBOUND_IMAP_URL for this server's mailbox.
func (d *Dovecot) URL() string {
	return "imap://" + url.UserPassword(d.User, d.Password).String() + "@" + d.Addr + "/INBOX?tls=none"
}

// client signs in to the mailbox.
func (d *Dovecot) client() *imapclient.Client {
	d.tb.Helper()
	c, err := imapclient.DialInsecure(d.Addr, nil)
	if err != nil {
		d.tb.Fatalf("connect to Dovecot: %v", err)
	}
	if err := c.Login(d.User, d.Password).Wait(); err != nil {
		c.Close()
		d.tb.Fatalf("log in to Dovecot: %v", err)
	}
	return c
}

// Deliver files raw into INBOX with IMAP APPEND, as a mail server
// delivers a message.
func (d *Dovecot) Deliver(raw []byte) {
	d.tb.Helper()
	d.Append("INBOX", raw)
}

// Append files raw into folder.
func (d *Dovecot) Append(folder string, raw []byte) {
	d.tb.Helper()
	c := d.client()
	defer c.Close()
	raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		d.tb.Fatalf("append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		d.tb.Fatalf("append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		d.tb.Fatalf("append to %s: %v", folder, err)
	}
}

// Count is how many messages folder holds (-1 when it does not exist).
func (d *Dovecot) Count(folder string) int {
	d.tb.Helper()
	c := d.client()
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return -1
	}
	return int(*st.NumMessages)
}

// WaitCount waits until folder holds n messages, and fails the test after
// 20 seconds.
func (d *Dovecot) WaitCount(folder string, n int) {
	d.tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := d.Count(folder)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			d.tb.Fatalf("waited 20s for %d message(s) in %s, got %d", n, folder, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func chownTo(path, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
