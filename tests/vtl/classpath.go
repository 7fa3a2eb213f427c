package vtl

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ClasspathEnv names the variable that provides the renderer's jars where Debian's packages do
// not (macOS, other Linux distributions, a CI image with a JDK): a Java classpath (entries
// separated by ':') holding the jars Jars lists.
const ClasspathEnv = "VTL_CLASSPATH"

//go:embed jars.txt
var jarsTxt string

// Jar is one jar the renderer needs: its name in Debian's /usr/share/java and its Maven
// coordinates (jars.txt).
type Jar struct{ Debian, Maven string }

// Jars are the renderer's jars, from jars.txt.
func Jars() []Jar {
	var out []Jar
	for _, line := range strings.Split(jarsTxt, "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			out = append(out, Jar{Debian: f[0], Maven: f[1]})
		}
	}
	return out
}

var (
	checkOnce sync.Once
	checkErr  error
)

// Check reports, once per process, whether the renderer can run here: java and javac on PATH
// and the jars (from VTL_CLASSPATH, else Debian's /usr/share/java). Its error is the one clear
// message that names both ways to provide them.
func Check() error {
	checkOnce.Do(func() { checkErr = check() })
	return checkErr
}

func check() error {
	var missing []string
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" (a JDK 11 or newer) on PATH")
		}
	}
	if cp := os.Getenv(ClasspathEnv); cp != "" {
		for _, entry := range filepath.SplitList(cp) {
			if _, err := os.Stat(entry); err != nil {
				missing = append(missing, fmt.Sprintf("%s entry %s", ClasspathEnv, entry))
			}
		}
	} else {
		for _, j := range Jars() {
			if _, err := os.Stat("/usr/share/java/" + j.Debian + ".jar"); err != nil {
				missing = append(missing, "/usr/share/java/"+j.Debian+".jar")
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var maven []string
	for _, j := range Jars() {
		maven = append(maven, j.Maven)
	}
	return errors.New("the template renderer (tests/vtl/render: Apache Velocity 1.7 + Jayway JsonPath on a JDK) cannot run here; missing: " +
		strings.Join(missing, ", ") + ". Provide it one of two ways: " +
		"(1) on Debian/Ubuntu: apt-get install openjdk-17-jdk-headless velocity libjsonpath-java; " +
		"(2) anywhere else (macOS: brew install openjdk): a JDK on PATH and " + ClasspathEnv + " set to the jars of " +
		strings.Join(maven, ", ") + ", separated by ':' (README, \"Templates\")")
}
