"""Matcher speed where terms are dense and where they are sparse, against raw pyahocorasick
scanning the same text with the same keys, measured in the same run.

    python bench/matcher.py [--mb 4]

Corpora (each about --mb MB of passages):
- dense English / dense Korean: the project glossary plus ~100 terms with common-word labels
  (model, data, cloud, 데이터, 모델...), over text where about a third of the words are labels;
- sparse: bench/synth.py's planted corpus (a few hits a passage), English and Korean mixed;
- real: the seed articles (../shared/seeds), repeated.

Raw: `Automaton.iter` over `text.lower()`, every hit consumed, keys = every folded label form.
Ours: `Matcher.match` on each passage (folding, word edges, code rules, Korean edges, spans,
rules, nested marks), with the compiled loop (index/_scan.c) and, in the last column, with the
Python loop it was ported from (what an install without a C compiler runs). The ratio is ours /
raw in MB/s; the target is at least 0.5.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ahocorasick  # noqa: E402

import index.matcher  # noqa: E402
from index.corpus import read_corpus  # noqa: E402
from index.matcher import label_forms  # noqa: E402
from index.text import fold_label  # noqa: E402
from index.vocabulary import matcher_for, parse_glossary  # noqa: E402
from tests.support import ROOT, SEEDS  # noqa: E402
from tests.support.synth import generate  # noqa: E402

COMMON_EN = """model data cloud memory server network cluster storage chip robot sensor platform pipeline
dataset agent training inference compute token vector accelerator workload kernel driver firmware
cache queue scheduler container node rack cooling power grid factory camera drone satellite
semiconductor wafer foundry laboratory benchmark latency throughput bandwidth software hardware
algorithm simulation analytics dashboard interface protocol encryption license budget strategy
policy regulation standard ecosystem startup investment partnership supply chain export market
price demand capacity energy efficiency emission quantum photonics battery vehicle""".split()
COMMON_KO = """데이터 모델 서비스 기술 시스템 플랫폼 네트워크 서버 클라우드 메모리 반도체 로봇 센서 공장
전략 정책 규제 표준 생태계 투자 협력 시장 가격 수요 용량 에너지 효율 배터리 차량 위성 드론 카메라
알고리즘 소프트웨어 하드웨어 인터페이스 보안 예산 인재 연구소 대학 기업 정부 산업 수출 공급망""".split()
FILLER_EN = "the a of and to in for with on by is are was new its their this that from as at".split()
FILLER_KO = "그리고 또한 이번 새로운 국내 해외 주요 관련 대한 위한 통해 따라 가장 함께".split()
PARTICLES = ["을", "를", "이", "가", "은", "는", "의", "에", "에서", "으로", "와", "과", "도", "입니다", "하는", ""]


def dense_glossary() -> str:
    """The project glossary plus one term per common word (English and Korean labels)."""
    extra = []
    for i, word in enumerate(COMMON_EN):
        ko = COMMON_KO[i % len(COMMON_KO)] if i < len(COMMON_KO) else None
        labels = f", labels: {{ko: [{ko}]}}" if ko else ""
        extra.append(f"  - {{id: common-{i}, term: {word}, definition: A common word{labels}}}")
    return (ROOT / "glossary.yaml").read_text().rstrip() + "\n" + "\n".join(extra) + "\n"


def dense_passages(lang: str, megabytes: float, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    labels = COMMON_EN + ["GPU", "digital twins", "AI factory", "sovereign AI", "GPU cluster"]
    ko_labels = COMMON_KO + ["디지털 트윈", "AI 팩토리", "소버린 AI", "GPU 클러스터"]
    out, size = [], 0
    while size < megabytes * 1_000_000:
        words = []
        for _ in range(60):
            if lang == "en":
                words.append(rng.choice(labels) if rng.random() < 0.35 else rng.choice(FILLER_EN))
            else:
                word = rng.choice(ko_labels) + rng.choice(PARTICLES) if rng.random() < 0.35 else rng.choice(FILLER_KO)
                words.append(word)
        text = " ".join(words) + "."
        out.append(text)
        size += len(text.encode())
    return out


def sparse_passages(glossary_text: str, megabytes: float) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        generate(parse_glossary(glossary_text), int(megabytes * 1_000_000 / 450), corpus)
        return [p.text for doc in read_corpus(corpus) for p in doc.passages]


def real_passages(megabytes: float) -> list[str]:
    texts = [p.text for doc in read_corpus(SEEDS) for p in doc.passages] if SEEDS.is_dir() else []
    if not texts:
        return []
    out, size = [], 0
    while size < megabytes * 1_000_000:
        for t in texts:
            out.append(t)
            size += len(t.encode())
    return out


def raw_automaton(glossary_text: str) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for term in parse_glossary(glossary_text).terms:
        for label in term.labels:
            for form, _ in label_forms(label):
                key = fold_label(form)
                automaton.add_word(key, len(key))
    automaton.make_automaton()
    return automaton


def measure(passages: list[str], glossary_text: str) -> dict[str, float]:
    matcher = matcher_for(parse_glossary(glossary_text))
    automaton = raw_automaton(glossary_text)
    megabytes = sum(len(p.encode()) for p in passages) / 1e6
    for p in passages[:200]:
        matcher.match(p)  # warm: Kiwi's caches, first-use costs
    best_raw = best_ours = best_python = float("inf")
    hits_raw = hits_ours = 0
    compiled = index.matcher.compiled
    for _ in range(3):
        started = time.perf_counter()
        hits_raw = 0
        for p in passages:
            for _hit in automaton.iter(p.lower()):
                hits_raw += 1
        best_raw = min(best_raw, time.perf_counter() - started)
        started = time.perf_counter()
        hits_ours = 0
        for p in passages:
            hits_ours += len(matcher.match(p))
        best_ours = min(best_ours, time.perf_counter() - started)
        index.matcher.compiled = None
        started = time.perf_counter()
        for p in passages:
            matcher.match(p)
        best_python = min(best_python, time.perf_counter() - started)
        index.matcher.compiled = compiled
    return {
        "mb": megabytes,
        "raw": megabytes / best_raw,
        "ours": megabytes / best_ours,
        "python": megabytes / best_python,
        "raw_hits": hits_raw / len(passages),
        "our_hits": hits_ours / len(passages),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=4.0)
    args = parser.parse_args()
    dense = dense_glossary()
    project = (ROOT / "glossary.yaml").read_text()
    corpora = [
        ("dense English", dense_passages("en", args.mb), dense),
        ("dense Korean", dense_passages("ko", args.mb), dense),
        ("sparse (synth, en+ko)", sparse_passages(project, args.mb), project),
        ("real (seed articles)", real_passages(args.mb), dense),
    ]
    print(f"\n{len(parse_glossary(dense).terms)} terms (dense), {len(parse_glossary(project).terms)} (project)\n")
    print(f"matcher loop: {index.matcher.implementation()}\n")
    print("| corpus | MB | hits/passage raw / ours | raw MB/s | ours MB/s | ours / raw | Python loop MB/s (/ raw) |")
    print("|---|---|---|---|---|---|---|")
    for name, passages, glossary_text in corpora:
        if not passages:
            continue
        r = measure(passages, glossary_text)
        print(
            f"| {name} | {r['mb']:.1f} | {r['raw_hits']:.1f} / {r['our_hits']:.1f} | {r['raw']:.1f} | "
            f"{r['ours']:.1f} | {r['ours'] / r['raw']:.2f} | {r['python']:.1f} ({r['python'] / r['raw']:.2f}) |"
        )


if __name__ == "__main__":
    main()
