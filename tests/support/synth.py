"""A deterministic synthetic corpus with glossary labels planted at known rates.

Each passage has about 60 words of filler, then zero to three planted label forms (plurals,
possessives, hyphen and case variants, Korean particles) and look-alike words that must NOT
match (`twinning`, `GPUDirect`, `factorial`...). The planted (passage, term) pairs are the
truth that recall and precision are measured against.

    python bench/synth.py --passages 50000 --out bench/out/corpus-50000  (the command line)
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from index.glossary import Glossary
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
]
# Not a label yet: the glossary-edit benchmark adds it as an alias and times until it shows.
FUTURE_ALIAS = "sovereign compute stack"
KO_FILLER = (
    "정부 기업 계획 발표 투자 시장 기술 산업 연구 개발 공장 도시 데이터 모델 서비스 센터 전략 협력 확대 지원".split()
)
KO_PARTICLES = ["을", "를", "이", "가", "은", "는", "의", "에", "에서", "으로", "로", "와", "과", "도", "만", ""]
KO_LOOKALIKES = ["디지털 트윈스", "엘지트윈스가", "AI 팩토리아", "소버린국채"]


def _surface_forms(glossary: Glossary) -> dict[str, tuple[list[str], list[str]]]:
    """For each term: English forms (with variants) and Korean labels."""
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
        out[term.id] = (english, korean)
    return out


def generate(
    glossary: Glossary, passages: int, out: Path, seed: int = 7, korean_share: float = 0.1, per_document: int = 10
) -> dict[str, object]:
    """Write the corpus and truth.jsonl; returns a summary."""
    rng = random.Random(seed)
    forms = _surface_forms(glossary)
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
            words = [rng.choice(KO_FILLER if korean else FILLER) for _ in range(60)]
            terms_here = set()
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
                term_id = rng.choices(term_ids, weights)[0]
                english, ko = forms[term_id]
                if korean and ko:
                    form = rng.choice(ko) + rng.choice(KO_PARTICLES)
                elif english:
                    form = rng.choice(english)
                else:
                    continue
                words.insert(rng.randrange(len(words)), form)
                terms_here.add(term_id)
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
