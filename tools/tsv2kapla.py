#!/usr/bin/env python3
"""Turns the layer table tests/data/networks.tsv into bundled networks.

Each TSV network listed in BUNDLES becomes examples/networks/<stem>.kapla
holding one `network` block in the syntax of docs/language.md.  The
mapping rules are written down in docs/networks.md; in short:

  - the `__input__` row becomes `input image [C=.., H=.., W=..];` when it
    has a spatial extent, `input data [...]` when it is 1 x 1 (MLP, LSTM);
    other `input` rows keep their names;
  - a `-` among the producers names that network input;
  - several producers are concatenated along channels (conv, fc, pool,
    dwconv) or merged element by element (eltwise);
  - conv and dwconv write their output size, window and stride (a square
    window or stride is written once, stride 1 is omitted); padding is
    implied by the output size and never written;
  - fc writes only K: its window is its input's spatial size;
  - pool and dwconv keep the channel count of their input (K = C);
  - eltwise writes nothing: shape and channels come from its operands.

Every row is checked before anything is written (channel sums, window
sizes, spatial agreement of producers), and every generated block is
parsed back and re-derived independently to compare with the table, so a
mistake fails loudly instead of shipping a wrong network.

Usage:
  tools/tsv2kapla.py                 regenerate every bundled network
  tools/tsv2kapla.py --check         compare the committed files instead
  tools/tsv2kapla.py --tsv F --out D NAME...   selected TSV networks
"""

import argparse
import os
import re
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TSV = os.path.join(ROOT, "tests", "data", "networks.tsv")
DEFAULT_OUT = os.path.join(ROOT, "examples", "networks")

# TSV name -> (file stem, description for the file's header comment).
BUNDLES = {
    "alex_net": ("alexnet",
                 "AlexNet (Krizhevsky, Sutskever and Hinton, 2012) in its "
                 "original two-group form: layers suffixed _a and _b run on "
                 "the two halves of the channels."),
    "vgg_net": ("vgg16",
                "VGG-16 (Simonyan and Zisserman, 2014), configuration D, "
                "224 x 224 input."),
    "googlenet": ("googlenet",
                  "GoogLeNet (Szegedy et al., 2015), Inception v1 without "
                  "the auxiliary classifiers."),
    "resnet50": ("resnet50",
                 "ResNet-50 (He et al., 2016), bottleneck blocks; _br "
                 "layers are the projection shortcuts, _res the additions."),
    "mobilenet": ("mobilenet",
                  "MobileNet v1 (Howard et al., 2017), width multiplier "
                  "1.0, 224 x 224 input."),
    "mlp_l": ("mlp-l",
              "MLP-L: a 784-1500-1000-500-10 multilayer perceptron on "
              "MNIST-sized inputs, as used in published accelerator "
              "evaluations."),
    "lstm_gnmt": ("lstm-gnmt",
                  "One time step of the 4-layer, 1000-unit LSTM of GNMT "
                  "(Wu et al., 2016): each gate is an fc layer over the "
                  "concatenated hidden state and input, the cell arithmetic "
                  "is eltwise."),
    "vgg19_net": ("vgg19",
                  "VGG-19 (Simonyan and Zisserman, 2014), configuration E, "
                  "224 x 224 input."),
    "resnet152": ("resnet152",
                  "ResNet-152 (He et al., 2016), bottleneck blocks; _br "
                  "layers are the projection shortcuts, _res the "
                  "additions."),
    "zfnet": ("zfnet",
              "ZFNet (Zeiler and Fergus, 2014), 224 x 224 input."),
    "mlp_m": ("mlp-m",
              "MLP-M: a 784-1000-500-250-10 multilayer perceptron on "
              "MNIST-sized inputs."),
    "mlp_s": ("mlp-s",
              "MLP-S: a 784-500-250-10 multilayer perceptron on "
              "MNIST-sized inputs."),
    "lstm_phoneme": ("lstm-phoneme",
                     "One time step of a 140-unit LSTM for phoneme "
                     "recognition (26 inputs, 61 classes)."),
    "lstm_showtell": ("lstm-showtell",
                      "One time step of the 512-unit LSTM of Show and Tell "
                      "(Vinyals et al., 2015)."),
}

NUMERIC = ("C", "K", "Ho", "Wo", "R", "S", "sh", "sw", "nreg")
KINDS = ("conv", "fc", "pool", "eltwise", "dwconv")
KIND_WIDTH = max(len(k) for k in KINDS + ("input",))
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
WIDTH = 80


class TableError(Exception):
    """A row of the table that cannot become a valid network."""


def read_tsv(path):
    """Returns {network: [row dict, ...]} in file order."""
    nets = {}
    header = None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            if len(cells) != len(header):
                raise TableError(f"{path}:{lineno}: {len(cells)} cells, "
                                 f"expected {len(header)}")
            row = dict(zip(header, cells))
            row["lineno"] = lineno
            for key in NUMERIC:
                row[key] = int(row[key])
            row["prevs"] = row["prevs"].split(",")
            nets.setdefault(row["network"], []).append(row)
    return nets


def network_name(stem):
    return stem.replace("-", "_")


def input_name(row):
    """The name the network input `__input__` takes (see module doc)."""
    if row["Ho"] * row["Wo"] > 1:
        return "image"
    return "data"


def fail(row, message):
    raise TableError(f"{row['network']}: line {row['lineno']}: layer "
                     f"'{row['layer']}': {message}")


def producers(row, by_name, names):
    """The producers of a row as generated names, with their rows."""
    result = []
    for prev in row["prevs"]:
        key = "__input__" if prev == "-" else prev
        if key not in by_name:
            fail(row, f"unknown producer '{prev}'")
        result.append((names[key], by_name[key]))
    return result


def producer_shape(row, prevs):
    """Common spatial size of the producers, checked to agree."""
    shapes = {(p["Ho"], p["Wo"]) for _, p in prevs}
    if len(shapes) != 1:
        fail(row, f"producers disagree on spatial size: {sorted(shapes)}")
    return shapes.pop()


def check_row(row, prevs):
    """Checks the channel and window rules of one layer row."""
    kind = row["type"]
    ksum = sum(p["K"] for _, p in prevs)
    in_h, in_w = producer_shape(row, prevs)

    if kind == "eltwise":
        if row["nreg"] != len(prevs):
            fail(row, f"nreg {row['nreg']} but {len(prevs)} producers")
        if any(p["K"] != row["K"] for _, p in prevs):
            fail(row, "eltwise operands do not all have K = "
                 f"{row['K']} channels")
        if row["C"] != row["nreg"] * row["K"] or row["C"] != ksum:
            fail(row, f"C {row['C']} is not nreg x K = "
                 f"{row['nreg']} x {row['K']}")
        if (row["Ho"], row["Wo"]) != (in_h, in_w):
            fail(row, "eltwise output size differs from its operands")
        if (row["R"], row["S"], row["sh"], row["sw"]) != (1, 1, 1, 1):
            fail(row, "eltwise with a window or stride")
        return

    if row["C"] != ksum:
        fail(row, f"C {row['C']} differs from the producers' K sum {ksum}")
    if kind in ("pool", "dwconv") and row["C"] != row["K"]:
        fail(row, f"{kind} changes channels: C {row['C']} K {row['K']}")
    if kind == "fc":
        check_fc(row, in_h, in_w)
        return
    check_window(row, in_h, in_w)


def check_fc(row, in_h, in_w):
    """An fc's window must be its whole input, and its output 1 x 1."""
    if (row["Ho"], row["Wo"]) != (1, 1):
        fail(row, f"fc output {row['Ho']} x {row['Wo']} is not 1 x 1")
    if (row["R"], row["S"]) == (in_h, in_w):
        return
    # A table row with window 1 x 1 over a larger input would be a 1 x 1
    # conv, not an fc: there is no faithful way to write it as `fc`.
    fail(row, f"fc window {row['R']} x {row['S']} over a {in_h} x {in_w} "
         "input")


def check_window(row, in_h, in_w):
    """The input must fit the window with the padding kaplac implies.

    kaplac implies max(0, (Ho - 1) * sh + R - H) rows of padding and
    refuses more than R - 1 on each side; an input with rows beyond the
    last window is accepted and those rows are not read.  The table
    promises an input of at least Ho * sh rows, so a row breaking either
    rule is a mistake in the table.
    """
    for out, win, stride, size, axis in (
            (row["Ho"], row["R"], row["sh"], in_h, "H"),
            (row["Wo"], row["S"], row["sw"], in_w, "W")):
        if min(out, win, stride) <= 0:
            fail(row, f"non-positive size along {axis}")
        span = (out - 1) * stride + win
        padding = max(0, span - size)
        if padding > 2 * (win - 1):
            fail(row, f"input {axis} {size} needs padding {padding}, more "
                 f"than the window {win} allows")
        if size > span + stride - 1:
            fail(row, f"input {axis} {size} has rows beyond the {span} "
                 "that the output reads plus a stride")


def name_table(rows):
    """Generated names: __input__ renamed, everything else kept."""
    names = {}
    for row in rows:
        name = row["layer"]
        if name == "__input__":
            name = input_name(row)
        if not IDENT.match(name):
            fail(row, "name is not an identifier")
        if name in names.values():
            fail(row, f"name '{name}' used twice")
        names[row["layer"]] = name
    return names


def window_text(word, a, b):
    return f" {word} {a}" if a == b else f" {word} {a} x {b}"


def layer_words(row, prevs):
    """The pieces of one layer statement, kept whole when wrapping."""
    kind = row["type"]
    words = [f"{kind:<{KIND_WIDTH}}", row["layer"], "<-"]
    words += [name + "," for name, _ in prevs[:-1]] + [prevs[-1][0]]

    if kind == "conv":
        words.append(f"[K={row['K']}, H={row['Ho']}, W={row['Wo']}]")
    elif kind == "fc":
        words.append(f"[K={row['K']}]")
    elif kind in ("pool", "dwconv"):
        words.append(f"[H={row['Ho']}, W={row['Wo']}]")

    if kind in ("conv", "pool", "dwconv"):
        words.append(window_text("window", row["R"], row["S"]).strip())
        if (row["sh"], row["sw"]) != (1, 1):
            words.append(window_text("stride", row["sh"], row["sw"]).strip())
    return words


def wrap(words):
    """Joins words into a statement of lines of at most WIDTH columns."""
    glue = "\x00"
    text = " ".join(w.replace(" ", glue) for w in words) + ";"
    lines = textwrap.wrap(text, WIDTH, initial_indent="    ",
                          subsequent_indent="        ",
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace(glue, " ") for line in lines]


def layer_ops(row):
    """MACs (or element operations) of one row, per image."""
    kind = row["type"]
    out = row["K"] * row["Ho"] * row["Wo"]
    if kind in ("conv", "fc"):
        return out * row["C"] * row["R"] * row["S"]
    if kind in ("pool", "dwconv"):
        return out * row["R"] * row["S"]
    return out * row["nreg"]


def generate(tsv_name, rows, stem, description):
    """Returns the text of examples/networks/<stem>.kapla."""
    by_name = {row["layer"]: row for row in rows}
    names = name_table(rows)
    if "__input__" not in by_name:
        raise TableError(f"{tsv_name}: no __input__ row")

    body = []
    for row in rows:
        if row["type"] == "input":
            body.append(f"    {'input':<{KIND_WIDTH}} {names[row['layer']]} "
                        f"[C={row['K']}, H={row['Ho']}, W={row['Wo']}];")
            continue
        # Limitation: kaplac has no kind for locally connected layers
        # (table type `local`), so a network using one cannot be generated.
        if row["type"] not in KINDS:
            fail(row, f"layer type '{row['type']}' has no kaplac kind")
        prevs = producers(row, by_name, names)
        check_row(row, prevs)
        body.extend(wrap(layer_words(row, prevs)))

    layers = [row for row in rows if row["type"] != "input"]
    total = sum(layer_ops(row) for row in layers)
    head = textwrap.wrap(description, WIDTH - 2)
    head += textwrap.wrap(f"Generated by tools/tsv2kapla.py from network "
                          f"'{tsv_name}' of tests/data/networks.tsv: edit "
                          "the generator or the table, not this file.",
                          WIDTH - 2)
    head.append(f"{len(layers)} layers, {total:,} MACs per image "
                f"({total / 1e6:.1f} M).")
    lines = ["# " + line for line in head]
    lines.append(f"network {network_name(stem)} {{")
    lines += body
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---- self-check: parse the generated text back and re-derive shapes ----

STATEMENT = re.compile(
    r"^(?P<kind>\w+)\s+(?P<name>[\w.]+)"
    r"(?:\s*<-\s*(?P<prevs>[\w.]+(?:\s*,\s*[\w.]+)*))?"
    r"(?:\s*\[(?P<dims>[^\]]*)\])?"
    r"(?P<opts>(?:\s*\w+\s+\d+(?:\s*x\s*\d+)?)*)$")
OPTION = re.compile(r"(\w+)\s+(\d+)(?:\s*x\s*(\d+))?")


def parse_block(text):
    """Parses one generated `network` block into (name, statements)."""
    code = re.sub(r"#[^\n]*", "", text)
    match = re.fullmatch(r"\s*network\s+(\w+)\s*\{(.*)\}\s*", code, re.S)
    if not match:
        raise TableError("generated text is not one network block")
    statements = []
    for part in match.group(2).split(";"):
        part = " ".join(part.split())
        if not part:
            continue
        m = STATEMENT.match(part)
        if not m:
            raise TableError(f"cannot parse generated statement '{part}'")
        dims = {}
        for item in filter(None, (m.group("dims") or "").split(",")):
            key, value = item.split("=")
            dims[key.strip()] = int(value)
        opts = {}
        for key, a, b in OPTION.findall(m.group("opts")):
            opts[key] = (int(a), int(b or a))
        prevs = [p.strip() for p in (m.group("prevs") or "").split(",")
                 if p.strip()]
        statements.append((m.group("kind"), m.group("name"), prevs, dims,
                           opts))
    return match.group(1), statements


def derive(statements):
    """Shapes that the language's rules give each statement."""
    shapes = {}
    for kind, name, prevs, dims, opts in statements:
        if kind == "input":
            shapes[name] = dict(kind=kind, C=0, K=dims["C"], Ho=dims["H"],
                                Wo=dims["W"], R=1, S=1, sh=1, sw=1, nreg=1,
                                prevs=[])
            continue
        ins = [shapes[p] for p in prevs]
        in_h, in_w = ins[0]["Ho"], ins[0]["Wo"]
        ksum = sum(i["K"] for i in ins)
        r, s = opts.get("window", (1, 1))
        sh, sw = opts.get("stride", (1, 1))
        shape = dict(kind=kind, C=ksum, R=r, S=s, sh=sh, sw=sw, nreg=1,
                     prevs=prevs)
        if kind == "conv":
            shape.update(K=dims["K"], Ho=dims["H"], Wo=dims["W"])
        elif kind == "fc":
            shape.update(K=dims["K"], Ho=1, Wo=1, R=in_h, S=in_w)
        elif kind in ("pool", "dwconv"):
            shape.update(K=ksum, Ho=dims["H"], Wo=dims["W"])
        else:
            shape.update(K=ins[0]["K"], Ho=in_h, Wo=in_w, nreg=len(ins))
        shapes[name] = shape
    return shapes


def self_check(text, stem, rows):
    """Fails unless the generated text re-derives every row exactly."""
    name, statements = parse_block(text)
    if name != network_name(stem):
        raise TableError(f"{stem}: network named '{name}'")
    shapes = derive(statements)
    names = name_table(rows)
    if len(shapes) != len(rows):
        raise TableError(f"{stem}: {len(shapes)} statements for "
                         f"{len(rows)} rows")
    for row in rows:
        got = shapes[names[row["layer"]]]
        want_prevs = [names["__input__" if p == "-" else p]
                      for p in row["prevs"]] if row["type"] != "input" else []
        if got["kind"] != row["type"] or got["prevs"] != want_prevs:
            fail(row, "kind or producers changed in the generated text")
        for key in NUMERIC:
            if key == "C" and row["type"] == "input":
                continue
            if got[key] != row[key]:
                fail(row, f"generated {key} {got[key]}, table {row[key]}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tsv", default=DEFAULT_TSV)
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true",
                        help="compare with the files in --out, write none")
    parser.add_argument("names", nargs="*",
                        help="TSV network names (default: every bundle)")
    args = parser.parse_args(argv)

    nets = read_tsv(args.tsv)
    stale = []
    for tsv_name in args.names or list(BUNDLES):
        if tsv_name not in nets:
            raise TableError(f"no network '{tsv_name}' in {args.tsv}")
        stem, description = BUNDLES.get(
            tsv_name, (tsv_name.replace("_", "-"), f"'{tsv_name}'."))
        text = generate(tsv_name, nets[tsv_name], stem, description)
        self_check(text, stem, nets[tsv_name])
        path = os.path.join(args.out, stem + ".kapla")
        if args.check:
            current = open(path, encoding="utf-8").read() \
                if os.path.exists(path) else None
            if current != text:
                stale.append(path)
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    for path in stale:
        print(f"tsv2kapla: {path} differs from the table", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (TableError, OSError, KeyError, ValueError) as err:
        print(f"tsv2kapla: error: {err}", file=sys.stderr)
        sys.exit(2)
