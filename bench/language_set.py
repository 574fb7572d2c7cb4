"""A spoken-language test set made on this machine with espeak-ng and sox.

Six languages besides English (French, Spanish, German, Italian, Portuguese, Dutch), each in
several espeak-ng voices and speeds, and English in several accents, voices and speeds, all
reading short passages of the kind a principal's recording holds (a PLC meeting, a walkthrough
debrief). Clips are 16 kHz mono WAV, built once into a folder and reused (the manifest names
the espeak-ng version that made them).

Synthetic speech is not human speech: this set shows the language check separates languages
the way tiny.en hears them from espeak-ng, not how it fares on every accent. The shared clips
(../shared/data/audio: real English, one real French clip) are measured beside it.

``build(folder)`` writes the clips and returns the manifest; ``python -m bench.language_set DIR``
does the same from the shell.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

# Two passages per language, written for this set (not translations of one another, so no
# language gets an easier text).
TEXTS: dict[str, list[str]] = {
    "en": [
        "During our team meeting the teachers reviewed the reading data, and we decided to change the "
        "schedule to add intervention time on Tuesdays and Thursdays.",
        "Our professional learning plan gives every teacher one coaching cycle each semester, and we "
        "check progress with walkthrough data in October and again in March.",
        "The fourth grade team brought student writing samples, sorted them by the rubric, and agreed "
        "on two mini lessons for the next week.",
    ],
    "fr": [
        "Nous avons travaillé avec les enseignants de sixième pour revoir les évaluations du trimestre. "
        "Chaque semaine, l'équipe se réunit pour analyser les résultats des élèves.",
        "Le plan de formation prévoit une visite de classe par mois, suivie d'un entretien avec "
        "l'enseignant sur ce qui a bien fonctionné et sur ce qu'il faut changer.",
    ],
    "es": [
        "Durante la reunión del equipo, los maestros revisaron los datos de lectura de los estudiantes. "
        "Decidimos cambiar el horario para incluir tiempo de apoyo los martes.",
        "Cada profesor observa una clase de un compañero durante el semestre y después conversan sobre "
        "las preguntas que hicieron los alumnos.",
    ],
    "de": [
        "In der Fortbildung haben die Lehrkräfte gemeinsam Unterrichtsstunden geplant. Danach haben wir "
        "die Ergebnisse der Schülerinnen und Schüler in der Konferenz besprochen.",
        "Jede Woche trifft sich das Team der dritten Klassen, um die Lesetests auszuwerten und neue "
        "Fördergruppen zu bilden.",
    ],
    "it": [
        "Durante l'incontro del collegio docenti abbiamo analizzato i risultati delle prove di matematica "
        "e abbiamo deciso di lavorare in piccoli gruppi.",
        "Ogni insegnante ha scelto un obiettivo di crescita professionale e lo discute con me due volte "
        "all'anno.",
    ],
    "pt": [
        "Na reunião de planejamento, os professores compararam as avaliações dos alunos e escolheram "
        "novas estratégias de leitura para o próximo bimestre.",
        "A coordenadora visita as salas de aula toda semana e conversa com cada professor sobre o que "
        "observou.",
    ],
    "nl": [
        "Tijdens de teamvergadering hebben de leerkrachten de toetsresultaten van de leerlingen besproken "
        "en nieuwe afspraken gemaakt over de instructie.",
        "Elke maand bezoeken de leraren elkaars lessen en daarna praten ze over wat de leerlingen hebben "
        "geleerd.",
    ],
}

# espeak-ng voice (language + variant) and speed in words per minute.
VOICES: dict[str, list[tuple[str, int]]] = {
    "en": [("en-us", 175), ("en-us+f3", 150), ("en-gb", 160), ("en-gb-scotland+m3", 140),
           ("en-029+f2", 185), ("en-us-nyc+m1", 200)],
    "fr": [("fr-fr", 160), ("fr-fr+f3", 140), ("fr-be+m3", 185)],
    "es": [("es", 160), ("es+f2", 140), ("es-419+m3", 185)],
    "de": [("de", 160), ("de+f3", 140), ("de+m1", 185)],
    "it": [("it", 160), ("it+f2", 140), ("it+m3", 185)],
    "pt": [("pt", 160), ("pt-br+f3", 140), ("pt-br+m1", 185)],
    "nl": [("nl", 160), ("nl+f2", 140), ("nl+m3", 185)],
}


# Held out: written after the language check's scales were set on the clips above, and never
# used to set them. A new passage per language, every voice plus one more, and English under
# background noise (the case a language check must not confuse with another language).
HELD_OUT_TEXTS: dict[str, str] = {
    "en": "After the walkthrough I met with the science department. We looked at the exit tickets from "
          "Monday and planned how to reteach density before the quiz on Friday.",
    "fr": "Après la réunion, les professeurs ont choisi trois objectifs pour l'année et ils ont préparé "
          "des exercices différents pour les élèves en difficulté.",
    "es": "La directora pidió a cada equipo que trajera ejemplos de trabajos de sus alumnos para comparar "
          "las notas y hablar de la rúbrica.",
    "de": "Am Montag haben die Kolleginnen ihre Beobachtungen vorgestellt, und wir haben beschlossen, die "
          "Hausaufgaben in der Mittelstufe zu verändern.",
    "it": "Gli insegnanti della scuola primaria hanno preparato insieme una verifica comune e poi hanno "
          "confrontato i risultati di tutte le classi.",
    "pt": "Depois das observações, a equipe decidiu mudar o horário das aulas de reforço e chamar as "
          "famílias para uma reunião em março.",
    "nl": "Na de lesbezoeken hebben we samen gekeken naar de resultaten en besloten om meer tijd te geven "
          "aan rekenen in groep vijf.",
}
HELD_OUT_VOICES: dict[str, tuple[str, int]] = {
    "en": ("en-us+m7", 165), "fr": ("fr-fr+m7", 170), "es": ("es-419+f4", 150), "de": ("de+f4", 170),
    "it": ("it+m7", 150), "pt": ("pt-br+f4", 165), "nl": ("nl+m7", 150),
}
# Pink noise mixed under English speech, as amplitude of the noise (speech peaks near 1.0).
NOISE_LEVELS = (0.05, 0.12)


@dataclass(frozen=True)
class Clip:
    file: str
    language: str
    voice: str
    speed: int
    text: str
    split: str = "dev"  # "dev": the scales were set looking at it; "held-out": never
    noise: float = 0.0


def clips() -> list[Clip]:
    out = []
    for lang, voices in VOICES.items():
        for v, (voice, speed) in enumerate(voices):
            for t, text in enumerate(TEXTS[lang]):
                out.append(Clip(f"{lang}-v{v}-t{t}.wav", lang, voice, speed, text))
    for lang, voices in VOICES.items():
        every = [*voices, HELD_OUT_VOICES[lang]]
        for v, (voice, speed) in enumerate(every):
            out.append(Clip(f"{lang}-v{v}-h.wav", lang, voice, speed, HELD_OUT_TEXTS[lang], "held-out"))
    english = [*TEXTS["en"], HELD_OUT_TEXTS["en"]]
    for n, level in enumerate(NOISE_LEVELS):
        for v in (0, 2, 4):
            voice, speed = VOICES["en"][v]
            for t, text in enumerate(english):
                out.append(Clip(f"en-v{v}-t{t}-noise{n}.wav", "en", voice, speed, text, "held-out", level))
    return out


def tools_missing() -> list[str]:
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    return out.split("Data at")[0].strip()


def synthesise(clip: Clip, path: Path) -> None:
    """espeak-ng writes 22 kHz WAV; sox makes it 16 kHz mono (what Whisper uses) with a short
    lead-in and tail of silence, as a recording has."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", clip.voice, "-s", str(clip.speed), "-w", str(raw), clip.text],
                       check=True, capture_output=True)
        padded = Path(tmp) / "padded.wav"
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(padded), "pad", "0.4", "0.6"],
                       check=True, capture_output=True)
        if not clip.noise:
            shutil.move(str(padded), path)
            return
        seconds = subprocess.run(["soxi", "-D", str(padded)], check=True, capture_output=True, text=True).stdout.strip()
        noise = Path(tmp) / "noise.wav"
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(noise), "synth", seconds, "pinknoise",
                        "vol", str(clip.noise)], check=True, capture_output=True)
        subprocess.run(["sox", "-m", str(padded), str(noise), str(path)], check=True, capture_output=True)


def build(folder: Path, only: list[Clip] | None = None) -> list[Clip]:
    """Write the clips (all, or ``only``) into ``folder`` unless already there from the same
    espeak-ng version; returns them. Raises RuntimeError naming what is missing."""
    missing = tools_missing()
    if missing:
        raise RuntimeError(f"the language set needs {' and '.join(missing)} (Debian: apt-get install espeak-ng sox)")
    folder.mkdir(parents=True, exist_ok=True)
    wanted = only if only is not None else clips()
    manifest = folder / "manifest.json"
    version = espeak_version()
    known = json.loads(manifest.read_text()) if manifest.is_file() else {}
    if known.get("espeak") != version:
        known = {"espeak": version, "clips": {}}
    for clip in wanted:
        path = folder / clip.file
        if not path.is_file() or known["clips"].get(clip.file) != asdict(clip):
            synthesise(clip, path)
            known["clips"][clip.file] = asdict(clip)
    manifest.write_text(json.dumps(known, indent=1, ensure_ascii=False))
    return wanted


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "out/language-set")
    made = build(target)
    print(f"{len(made)} clips in {target} ({espeak_version()})")
