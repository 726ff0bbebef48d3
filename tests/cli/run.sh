#!/bin/sh
# Command-line tests: exit codes, usage errors, I/O errors, bad input of
# every kind, and the solve -> lint round trip on bundled inputs.
#   run.sh KAPLAC SOURCE_DIR
kaplac=$1
src=$2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect CODE DESCRIPTION -- ARGS...: runs kaplac, checks the exit status.
expect() {
    want=$1
    what=$2
    shift 3
    "$kaplac" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    if [ "$got" = "$want" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $what: exit $got, expected $want"
        sed 's/^/  out: /' "$tmp/out" | head -5
        sed 's/^/  err: /' "$tmp/err" | head -5
    fi
}

# grep_not FILE PATTERN DESCRIPTION: the last run did not print PATTERN.
grep_not() {
    if grep -q -- "$2" "$tmp/$1"; then
        fail=$((fail + 1))
        echo "FAIL $3: '$2' in std$1"
        sed 's/^/  /' "$tmp/$1" | head -10
    else
        pass=$((pass + 1))
    fi
}

# status WANT GOT DESCRIPTION: checks the exit status of a run made by hand.
status() {
    if [ "$2" = "$1" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $3: exit $2, expected $1"
    fi
}

# grep_in FILE PATTERN DESCRIPTION: the last run printed PATTERN.
grep_in() {
    if grep -q -- "$2" "$tmp/$1"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $3: '$2' not in std$1"
        sed 's/^/  /' "$tmp/$1" | head -10
    fi
}

golden="$src/tests/golden"
expect 0 "help" -- --help
grep_in out "usage: kaplac" "help text"
grep_in out "^  -o FILE  *write what goes to stdout" "help: -o is for every job"
expect 0 "version" -- --version
grep_in out "^kaplac [0-9]" "version text"
expect 0 "list" -- --list
grep_in out "resnet50" "list names bundled networks"
# The networks and the arch presets are listed apart.
if awk '/^bundled networks/ { g = "net" }
        /^bundled arch presets/ { g = "arch" }
        /^  resnet50$/ && g == "net" { n++ }
        /^  multinode$/ && g == "arch" { a++ }
        /^  multinode$/ && g == "net" { bad++ }
        END { exit !(n == 1 && a == 1 && bad == 0) }' "$tmp/out"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL list: networks and arch presets not apart"
    sed 's/^/  /' "$tmp/out"
fi
expect 2 "no input" --
grep_in err "no input file" "no input message"
expect 2 "unknown option" -- --frobnicate x.kapla
grep_in err "unknown option '--frobnicate'" "unknown option message"
expect 2 "missing value" -- --solve --batch
expect 2 "bad number" -- --solve --batch 0
expect 2 "bad number text" -- --solve --batch 12abc
# --batch takes what a scheme's batch may be: 1 to 2^30.
expect 2 "batch over the language's limit" -- --solve --batch 1073741825
grep_in err "from 1 to 1073741824" "batch limit message"
expect 0 "solve at the largest batch" -- --solve --network small \
    --arch tiny --batch 1073741824 "$src/tests/golden/tiny.inc" \
    -o "$tmp/batch.kapla"
expect 0 "lint the largest batch" -- "$tmp/batch.kapla"
grep_in out "batch 1073741824" "lint reads the largest batch back"
expect 2 "bad goal" -- --solve --goal speed

# An option given to a job it does not apply to is refused, not ignored.
scheme="$src/examples/schemes/alexnet-conv2.kapla"
for opt in "--network alexnet" "--arch multinode" "--batch 4" --training \
    "--goal delay" --exhaustive "--depth 2" "--keep 2" "--threads 2" \
    "--time-limit 5"; do
    # shellcheck disable=SC2086
    expect 2 "lint with $opt" -- $opt "$scheme"
    grep_in err "option '${opt%% *}' applies only to --solve, not to lint" \
        "lint with $opt message"
    # shellcheck disable=SC2086
    expect 2 "prove with $opt" -- --prove $opt "$scheme"
    grep_in err "not to --prove" "prove with $opt message"
done
expect 2 "solve with --format" -- --solve --format json
grep_in err "'--format' applies only to lint and --prove, not to --solve" \
    "solve with --format message"
expect 2 "solve with --per-layer" -- --solve --per-layer
expect 2 "prove with --per-layer" -- --prove --per-layer "$scheme"
grep_in err "'--per-layer' applies only to lint, not to --prove" \
    "prove with --per-layer message"
expect 2 "solve with -Werror" -- --solve -Werror
expect 2 "solve with --prove-timeout" -- --solve --prove-timeout 5
expect 2 "lint with --prove-timeout" -- --prove-timeout 5 "$scheme"
expect 2 "list with a file" -- --list extra
grep_in err "takes no file" "list with a file message"
expect 2 "list with -o" -- --list -o "$tmp/list.txt"
expect 2 "list and solve" -- --list --solve
expect 2 "unknown option after --help" -- --help --bogus
grep_in err "unknown option '--bogus'" "unknown option after --help message"
expect 2 "unknown option before --help" -- --bogus --help
expect 0 "help wins over the job's options" -- --help --solve --per-layer
grep_in out "usage: kaplac" "help wins over the job's options"
expect 1 "repeated option: the last wins" -- --format json --format text \
    "$golden/capacity.kapla"
grep_in err "error:" "repeated option: the last wins"
expect 2 "missing file" -- "$tmp/does-not-exist.kapla"
grep_in err "cannot read" "missing file message"
mkdir "$tmp/dir.kapla"
expect 2 "directory as file" -- "$tmp/dir.kapla"

# "-" reads standard input; a closed or unreadable one is an I/O error,
# not an empty file.
"$kaplac" - <&- >"$tmp/out" 2>"$tmp/err"
status 2 $? "closed standard input"
grep_in err "cannot read standard input: it is closed" "closed stdin message"
"$kaplac" --solve --network n - <&- >"$tmp/out" 2>"$tmp/err"
status 2 $? "solve from closed standard input"
"$kaplac" - <"$tmp" >"$tmp/out" 2>"$tmp/err"
status 2 $? "directory on standard input"
grep_in err "cannot read standard input" "unreadable stdin message"
"$kaplac" - </dev/null >"$tmp/out" 2>"$tmp/err"
status 0 $? "empty standard input"

: >"$tmp/empty.kapla"
expect 0 "empty file" -- "$tmp/empty.kapla"
grep_in out "^no scheme to check$" "lint of an empty file says so"
expect 0 "prove an empty file" -- --prove "$tmp/empty.kapla"
grep_in out "^no scheme to prove$" "prove of an empty file says so"
printf '\000\001\002garbage\377\376' >"$tmp/binary.kapla"
expect 1 "binary garbage" -- "$tmp/binary.kapla"
grep_in err "error:" "binary garbage diagnostic"
printf 'network n {\n    input i [C=1, H=4, W=4];\n' >"$tmp/open.kapla"
expect 1 "unterminated block" -- "$tmp/open.kapla"

printf 'import "b.kapla";\n' >"$tmp/a.kapla"
printf 'import "a.kapla";\n' >"$tmp/b.kapla"
expect 1 "import cycle" -- "$tmp/a.kapla"
grep_in err "import cycle" "import cycle message"
printf 'import "nowhere.kapla";\n' >"$tmp/c.kapla"
expect 1 "missing import" -- "$tmp/c.kapla"
grep_in err "c.kapla:1:1: error: cannot read" "missing import is located"
printf 'import nosuchnet;\n' >"$tmp/d.kapla"
expect 1 "unknown bundle" -- "$tmp/d.kapla"

cat >"$tmp/cyc.kapla" <<'K'
network n {
    input i [C=1, H=4, W=4];
    conv a <- b [K=1, H=4, W=4];
    conv b <- a [K=1, H=4, W=4];
}
K
expect 1 "graph cycle" -- "$tmp/cyc.kapla"
grep_in err "cycle" "graph cycle message"

cat >"$tmp/big.kapla" <<'K'
network n {
    input i [C=99999999999999999999, H=4, W=4];
}
K
expect 1 "enormous number" -- "$tmp/big.kapla"

# A file over the 64 MiB limit is refused, not read.
head -c 67200000 /dev/zero | tr '\000' ' ' >"$tmp/huge.kapla"
expect 2 "file over 64 MiB" -- "$tmp/huge.kapla"
grep_in err "file too large" "file size message"
rm -f "$tmp/huge.kapla"

# A UTF-8 byte-order mark is skipped; columns count from after it.
printf '\357\273\277network n { input i [C=1, H=1, W=1]; fc f <- q [K=2]; }\n' \
    >"$tmp/bom.kapla"
expect 1 "byte-order mark" -- "$tmp/bom.kapla"
grep_in err "bom.kapla:1:46: error: unknown producer 'q'" "column after BOM"

# A very long line is shown cut around the span, not whole.
awk 'BEGIN { printf "network n {\n    input i [C=1, H=1, W=1];\n    fc ";
             for (k = 0; k < 20000; k++) printf "a";
             printf " <- q [K=1];\n}\n" }' >"$tmp/long.kapla"
expect 1 "long line" -- "$tmp/long.kapla"
if [ "$(wc -c <"$tmp/err")" -lt 1000 ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL long line: $(wc -c <"$tmp/err") bytes of diagnostics"
fi

# -o never overwrites an input file.
cp "$src/examples/schemes/alexnet-conv2.kapla" "$tmp/keep.kapla"
expect 2 "-o onto the input" -- "$tmp/keep.kapla" -o "$tmp/keep.kapla"
if cmp -s "$src/examples/schemes/alexnet-conv2.kapla" "$tmp/keep.kapla"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL -o onto the input: the input changed"
fi

# unchanged ORIGINAL FILE DESCRIPTION: FILE still holds what ORIGINAL does.
unchanged() {
    if cmp -s "$1" "$2"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $3: '$2' changed"
    fi
}

# -o never overwrites a file an input imports, whatever the job, nor a
# link to an input, nor the file on standard input; nothing is written.
mkdir "$tmp/oi"
printf 'network n {\n input image [C=4, H=8, W=8];\n' >"$tmp/oi/net.kapla"
printf ' conv a <- image [K=4, H=8, W=8] window 1;\n}\n' >>"$tmp/oi/net.kapla"
cp "$tmp/oi/net.kapla" "$tmp/net.orig"
printf 'import "net.kapla";\n' >"$tmp/oi/main.kapla"
expect 2 "-o onto an import" -- "$tmp/oi/main.kapla" -o "$tmp/oi/net.kapla"
grep_in err "names '.*net.kapla', which this run reads" "-o import message"
unchanged "$tmp/net.orig" "$tmp/oi/net.kapla" "-o onto an import"
expect 2 "prove -o onto an import" -- --prove "$tmp/oi/main.kapla" \
    -o "$tmp/oi/net.kapla"
unchanged "$tmp/net.orig" "$tmp/oi/net.kapla" "prove -o onto an import"
expect 2 "solve -o onto an import" -- --solve --network n \
    "$tmp/oi/main.kapla" -o "$tmp/oi/net.kapla"
unchanged "$tmp/net.orig" "$tmp/oi/net.kapla" "solve -o onto an import"
ln "$tmp/oi/net.kapla" "$tmp/oi/link.kapla"
expect 2 "-o onto a hard link of an input" -- "$tmp/oi/net.kapla" \
    -o "$tmp/oi/link.kapla"
unchanged "$tmp/net.orig" "$tmp/oi/net.kapla" "-o onto a hard link"
"$kaplac" - -o "$tmp/oi/net.kapla" <"$tmp/oi/net.kapla" 2>"$tmp/err"
status 2 $? "-o onto standard input"
grep_in err "is the file on standard input" "-o onto stdin message"
unchanged "$tmp/net.orig" "$tmp/oi/net.kapla" "-o onto standard input"

# A failed run leaves the -o file as it was; a finished one replaces it
# whole, keeping its permissions, and leaves no temporary file behind.
echo "keep me" >"$tmp/keep.txt"
cp "$tmp/keep.txt" "$tmp/keep.orig"
expect 2 "failed read with -o" -- "$tmp/missing.kapla" -o "$tmp/keep.txt"
unchanged "$tmp/keep.orig" "$tmp/keep.txt" "failed read with -o"
grep_in err "not written" "failed run names the -o file"
expect 2 "failed read with -o, json" -- --format json \
    "$tmp/missing.kapla" -o "$tmp/keep.txt"
unchanged "$tmp/keep.orig" "$tmp/keep.txt" "failed read with -o, json"
grep_in err "cannot read" "json run that failed still reports on stderr"
expect 1 "failed solve with -o" -- --solve --network nosuch \
    -o "$tmp/keep.txt"
unchanged "$tmp/keep.orig" "$tmp/keep.txt" "failed solve with -o"
chmod 640 "$tmp/keep.txt"
ln -s keep.txt "$tmp/keep.link"
expect 0 "-o through a symbolic link" -- "$tmp/oi/main.kapla" \
    -o "$tmp/keep.link"
if grep -q "no scheme to check" "$tmp/keep.txt" && [ ! -s "$tmp/out" ] &&
    [ -L "$tmp/keep.link" ] &&
    [ "$(stat -c %a "$tmp/keep.txt")" = 640 ] &&
    [ -z "$(find "$tmp" -name '.kaplac-*')" ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL -o replaces the file behind the link, keeping its mode"
    ls -la "$tmp"
fi
expect 0 "-o onto a device" -- "$tmp/oi/main.kapla" -o /dev/null

# -Werror reports a warning as an error, and its scheme, like any scheme
# with errors, gets no energy summary.  The batch stack makes too many
# points for the checker's coverage count: a warning.
cat >"$tmp/warn.kapla" <<K
import "$golden/tiny.inc";
scheme s for small on tiny batch 33554432 {
    segment { conv1 } nodes [0:2, 0:2];
    layer conv1 {
        regf {
            tensor wgt (C=1, K=1, R=3, S=3);
            tensor ifm (N=1, C=1, Xi=3, Yi=3);
            tensor ofm (N=1, K=1, Xo=1, Yo=1);
            stack (Yo+=1, Yi+=1) x 4;
            stack (K+=1) x 4;
            update (Xo+=1, Xi+=1);
            update (C+=1);
        }
        gbuf {
            tensor wgt (C=2, K=4, R=3, S=3);
            tensor ifm (N=1, C=2, Xi=10, Yi=6);
            tensor ofm (N=1, K=4, Xo=8, Yo=4);
            stack (Yo+=4, Yi+=4) x 2;
            stack (N+=1) x 2;
            update (N+=2);
        }
    }
}
K
expect 0 "warning" -- "$tmp/warn.kapla"
grep_in err "warning: coverage of gbuf" "warning without -Werror"
grep_in out "energy" "summary despite a warning"
expect 1 "-Werror" -- -Werror "$tmp/warn.kapla"
grep_in err "error: coverage of gbuf" "-Werror reports an error"
grep_not err "warning:" "-Werror labels no warning"
grep_not out "energy" "-Werror: no summary for a scheme with errors"
expect 1 "-Werror json" -- -Werror --format json "$tmp/warn.kapla"
grep_in out '"warnings": 0' "-Werror json counts no warning"
grep_not out '"severity": "warning"' "-Werror json has no warning"

# Each FILE is its own compilation: equal names in two files do not
# clash, and an error in one file hides nothing in another.
cp "$src/examples/schemes/alexnet-conv2.kapla" "$tmp/one.kapla"
cp "$src/examples/schemes/alexnet-conv2.kapla" "$tmp/two.kapla"
expect 0 "same names in two files" -- "$tmp/one.kapla" "$tmp/two.kapla"
expect 0 "prove same names in two files" -- --prove -q "$tmp/one.kapla" \
    "$tmp/two.kapla"
expect 1 "errors in two files" -- "$src/tests/golden/syntax.kapla" \
    "$src/tests/golden/capacity.kapla"
grep_in err "syntax.kapla:4:13: error" "first file's error"
grep_in err "capacity.kapla:7:9: error" "second file's error"
expect 2 "unreadable file among others, json" -- --format json \
    "$tmp/nonexistent.kapla" "$src/tests/golden/capacity.kapla"
grep_in out '"rule": "capacity"' "json keeps the readable file's findings"
grep_in out '"rule": "io"' "json reports the unreadable file"

# Prove decides the segment rules too (by arithmetic).
sed 's/^    segment { conv2_a } nodes \[0:16, 0:8\];/    segment { conv2_a } nodes [0:16, 0:8];\n    segment { conv2_a } nodes [0:16, 8:16];/' \
    "$src/examples/schemes/alexnet-conv2.kapla" >"$tmp/twice.kapla"
expect 1 "prove a layer in two segments" -- --prove -q "$tmp/twice.kapla"
grep_in err "in two segments" "prove reports the segment rule"

# Solve on bundled inputs, then lint what was printed.
for net in alexnet mlp-l; do
    expect 0 "solve $net" -- --solve --network "$net" --arch multinode \
        --batch 8 -o "$tmp/$net.kapla"
    expect 0 "lint solved $net" -- "$tmp/$net.kapla"
    grep_in out "energy" "lint of solved $net prints energy"
done
expect 0 "solve by identifier" -- --solve --network mlp_l \
    --arch multinode_4x4 --batch 2 -o "$tmp/ident.kapla"
expect 0 "lint solved by identifier" -- "$tmp/ident.kapla"
expect 1 "solve unknown network" -- --solve --network nosuch
grep_in err "unknown network 'nosuch'" "unknown network message"
expect 1 "solve an arch preset as network" -- --solve --network multinode
grep_in err "'multinode' is a bundled arch preset, not a network; use --arch" \
    "arch preset given to --network"
expect 1 "solve a network as arch" -- --solve --arch alexnet
grep_in err "'alexnet' is a bundled network, not an arch; use --network" \
    "network given to --arch"
expect 1 "solve names of the wrong kind from a file" -- --solve \
    --network tiny --arch small "$golden/tiny.inc"
grep_in err "'tiny' is an arch, not a network; use --arch tiny" \
    "arch of a file given to --network"
grep_in err "'small' is a network, not an arch; use --network small" \
    "network of a file given to --arch"
expect 2 "solve to unwritable file" -- --solve --network mlp-l \
    -o "$tmp/no/such/dir/out.kapla"

# Machine output: SARIF 2.1.0 structure for lint and prove of a failing
# scheme, and JSON that parses.
check_sarif() {
    if python3 "$src/tests/cli/check_sarif.py" "$tmp/out" "$@" 2>"$tmp/why"
    then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL sarif: $(cat "$tmp/why")"
    fi
}
expect 1 "lint sarif" -- --format sarif "$golden/capacity.kapla"
check_sarif capacity
expect 1 "prove sarif" -- --prove --format sarif \
    "$golden/coverage-window.kapla"
check_sarif coverage
expect 1 "lint sarif of several rules" -- --format sarif \
    "$golden/containment.kapla"
check_sarif capacity containment coverage
for job in "" --prove; do
    expect 1 "json $job" -- $job --format json "$golden/coverage-gap.kapla"
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
        "$tmp/out" 2>/dev/null; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL json $job: output does not parse"
    fi
done

# A failing segment rule is one violated obligation, and the text
# summary, the JSON proof and the SARIF log all say so.
expect 1 "prove text, layer in two segments" -- --prove "$tmp/twice.kapla"
grep_in out ", 1 violated, 0 unknown" "summary counts the segment rule"
expect 1 "prove sarif, layer in two segments" -- --prove --format sarif \
    "$tmp/twice.kapla"
check_sarif --errors 1 segment
expect 1 "prove json, layer in two segments" -- --prove --format json \
    "$tmp/twice.kapla"
if python3 -c 'import json, sys
proof = json.load(open(sys.argv[1]))["proofs"][0]
bad = [o["kind"] for o in proof["obligations"] if o["verdict"] != "proved"]
sys.exit(proof["verdict"] != "violated" or proof["violated"] != 1 or
         bad != ["segment"])' "$tmp/out"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL prove json: the segment rule is not one violated obligation"
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
