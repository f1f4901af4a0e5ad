"""A deterministic synthetic corpus with glossary labels planted at known rates.

Each passage has about 60 words of filler, then zero to three planted label forms (plurals,
possessives, hyphen and case variants, Korean particles, copula and 하다 endings, Korean
compounds written solid and spaced) and look-alike words that must NOT match (`twinning`,
`GPUDirect`, code such as `get_digital_twins()` or `vendor.gpu.Device`, `ASP.NET`, `칩셋`...).
The planted (passage, term) pairs are the truth that recall and precision are measured against;
a planted form also counts for every other term whose label it contains as a whole word
("GPU clusters" is a use of *GPU cluster* and of *GPU*).

The benchmark glossary (`bench_glossary`) is the project's plus a few terms that exercise the
rules ordinary domain labels do not: punctuation labels (`C++`, `.NET`, `__init__`), a
one-syllable Korean label (`칩`) and a noun that takes 하다 (`디지털 전환`).

    python bench/synth.py --passages 50000 --out bench/out/corpus-50000  (the command line)
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from index import korean as korean_analysis
from index.glossary import Glossary
from index.korean import COPULA_ENDINGS
from index.matcher import label_forms
from index.vocabulary import load_glossary

FILLER = """time people year way day man thing woman life child world school state family student group
country problem hand part place case week company system program question work government number night
point home water room mother area money story fact month lot right study book eye job word business issue
side kind head house service friend father power hour game line end member law car city community name
president team minute idea kid body information back parent face others level office door health person
art war history party result change morning reason research girl guy moment air teacher force education
report market budget plan energy network policy project partner region industry demand supply contract
analyst engineer factory site cloud storage memory server rack cooling building robot camera sensor
operator vendor startup investor ministry agency sector export import price cost growth quarter
strong early late small large long short better major local national public private global open
build run train deploy sign fund expand buy sell grow plan launch test measure share announce""".split()
LOOKALIKES = [
    "twinning",
    "factorial",
    "GPUDirect",
    "sovereignty",
    "Pythonic",
    "generator",
    "importer",
    "physicality",
    "digitally",
    "LLMOps",
    "HBMX",
    "roboticsy",
    "hubris",
    "factorials",
    # code, not prose
    "get_digital_twins()",
    "sovereign_ai_budget",
    "vendor.gpu.Device",
    "src/ai_factory/",
    "https://example.com/digital-twin",
    "`GPU`",
    "/opt/gpu/bin",
    # punctuation labels' look-alikes
    "ASP.NET",
    "init()",
    "___init___",
    "C",
    "net",
]
SYNTH_VERSION = 2  # bump when what is planted changes: cached corpora are per version
BENCH_TERMS = """
  - id: cpp
    term: C++
    definition: A programming language.
  - id: dotnet
    term: .NET
    definition: A software platform.
  - id: dunder-init
    term: __init__
    definition: The method that initialises a Python object.
  - id: chip
    term: chip
    definition: An integrated circuit.
    labels: {ko: [칩]}
  - id: digital-transformation
    term: digital transformation
    definition: Moving a business onto digital processes.
    labels: {ko: [디지털 전환]}
"""
HADA_TERMS = {"digital-transformation"}
HADA_ENDINGS = ["하는", "해서", "합니다", "하거나", "하지", "했다", "하기"]
# Not a label yet: the glossary-edit benchmark adds it as an alias and times until it shows.
FUTURE_ALIAS = "sovereign compute stack"
KO_FILLER = (
    "정부 기업 계획 발표 투자 시장 기술 산업 연구 개발 공장 도시 데이터 모델 서비스 센터 전략 협력 확대 지원".split()
)
KO_PARTICLES = ["을", "를", "이", "가", "은", "는", "의", "에", "에서", "으로", "로", "와", "과", "도", "만", ""]
KO_COPULA = sorted(e for e in COPULA_ENDINGS if len(e) > 1)  # 입니다, 이어야, 인지...
KO_LOOKALIKES = ["디지털 트윈스", "엘지트윈스가", "AI 팩토리아", "소버린국채", "칩셋을", "로봇칩스"]


def bench_glossary(root: Path, out: Path) -> Path:
    """The project glossary plus BENCH_TERMS, written to `out` (for the benchmarks)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text((root / "glossary.yaml").read_text().rstrip() + "\n" + BENCH_TERMS)
    return out


def _surface_forms(glossary: Glossary) -> dict[str, tuple[list[str], list[str]]]:
    """For each term: English forms (with variants) and Korean spellings (solid and spaced)."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for term in glossary.terms:
        english, korean = [], []
        for label in term.labels:
            if label.lang == "en":
                for form, _ in label_forms(label):
                    english.append(form)
                    if not label.case_sensitive:
                        english.extend([form.upper(), form.title()])
                    if " " in form:
                        english.append(form.replace(" ", "-"))
            else:
                korean.append(label.text)
                korean.append(label.text.replace(" ", ""))
                parts = [p for word in label.text.split() for p in (korean_analysis.compound_parts(word) or [word])]
                korean.append(" ".join(parts))  # a solid label written spaced: 데이터센터 -> 데이터 센터
        out[term.id] = (english, list(dict.fromkeys(korean)))
    return out


def _contained(form: str, term_id: str, patterns: dict[str, list[tuple[re.Pattern[str], str]]]) -> set[str] | None:
    """The other terms whose labels `form` contains as whole words (nested uses); None when
    it contains one glued to Hangul, where the analyser, not a rule, decides."""
    text = form.lower().replace("-", " ")
    solid = text.replace(" ", "")
    hangul = any("\uac00" <= ch <= "\ud7a3" for ch in text)
    found: set[str] = set()
    for other, labels in patterns.items():
        if other == term_id:
            continue
        if any(pattern.search(text) for pattern, _ in labels):
            found.add(other)
        elif hangul and any(bare in solid for _, bare in labels):
            return None
    return found


def _label_patterns(forms: dict[str, tuple[list[str], list[str]]]) -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """For each term: (whole-word pattern, spaces removed) of each of its spellings."""
    out: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    for term_id, (english, korean) in forms.items():
        spellings = dict.fromkeys(f.lower().replace("-", " ") for f in english + korean)
        out[term_id] = [(re.compile(r"(?<!\w)" + re.escape(f) + r"(?!\w)"), f.replace(" ", "")) for f in spellings]
    return out


def generate(
    glossary: Glossary, passages: int, out: Path, seed: int = 7, korean_share: float = 0.1, per_document: int = 10
) -> dict[str, object]:
    """Write the corpus and truth.jsonl; returns a summary."""
    rng = random.Random(seed)
    forms = _surface_forms(glossary)
    patterns = _label_patterns(forms)
    nested = {(term_id, f): _contained(f, term_id, patterns) for term_id, (en, ko) in forms.items() for f in en + ko}
    # Filler never shares a word with a label, so that a planted form and its neighbours never
    # spell another label by accident ("edge AI" + "factory").
    label_words = {w for en, ko in forms.values() for f in en + ko for w in f.lower().replace("-", " ").split()}
    filler = [w for w in FILLER if w not in label_words]
    ko_filler = [w for w in KO_FILLER if w not in label_words]
    term_ids = sorted(forms)
    weights = [1.0 / (1 + i % 9) for i in range(len(term_ids))]  # some terms far more common
    out.mkdir(parents=True, exist_ok=True)
    truth_lines, documents, planted = [], 0, 0
    total_bytes = 0
    for doc_index in range(0, passages, per_document):
        doc_id = f"d{doc_index // per_document:06d}"
        month = (doc_index // per_document) % 24
        date = f"{2024 + month // 12}-{month % 12 + 1:02d}-{1 + doc_index % 27:02d}"
        korean = rng.random() < korean_share
        paragraphs = []
        for ordinal in range(1, min(per_document, passages - doc_index) + 1):
            words = [rng.choice(ko_filler if korean else filler) for _ in range(60)]
            terms_here = set()
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
                term_id = rng.choices(term_ids, weights)[0]
                english, ko = forms[term_id]
                if korean and ko:
                    base = rng.choice(ko)
                    endings = HADA_ENDINGS if term_id in HADA_TERMS else KO_PARTICLES + KO_COPULA
                    form = base + rng.choice(endings)
                elif english:
                    base = form = rng.choice(english)
                else:
                    continue
                inside = nested[(term_id, base)]
                if inside is None:
                    continue  # glued inside another label: not a planted truth either way
                words.insert(rng.randrange(len(words)), form)
                terms_here.add(term_id)
                terms_here.update(inside)
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words)), rng.choice(KO_LOOKALIKES if korean else LOOKALIKES))
            if not korean and rng.random() < 0.01:
                words.insert(rng.randrange(len(words)), FUTURE_ALIAS)
            text = " ".join(words) + "."
            paragraphs.append(text)
            planted += len(terms_here)
            truth_lines.append(json.dumps({"passage": f"{doc_id}:{ordinal}", "terms": sorted(terms_here)}))
        body = (
            f"---\ntitle: Synthetic {doc_id}\ndate: {date}\nlang: {'ko' if korean else 'en'}\n---\n"
            + "\n\n".join(paragraphs)
            + "\n"
        )
        (out / f"{doc_id}.md").write_text(body, encoding="utf-8")
        total_bytes += len(body.encode())
        documents += 1
    (out.parent / f"{out.name}.truth.jsonl").write_text("\n".join(truth_lines) + "\n")
    return {"passages": passages, "documents": documents, "planted": planted, "bytes": total_bytes}


def load_truth(out: Path) -> dict[str, set[str]]:
    truth: dict[str, set[str]] = {}
    for line in (out.parent / f"{out.name}.truth.jsonl").read_text().splitlines():
        row = json.loads(line)
        truth[row["passage"]] = set(row["terms"])
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--glossary", type=Path, default=Path("glossary.yaml"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(generate(load_glossary(args.glossary), args.passages, args.out, args.seed))


if __name__ == "__main__":
    main()
