"""Laboratory adverse events of the virtual trial: one record per grade, as SDTM AE expects
per episode (SDTMIG 3.3 AE: a change in toxicity grade is recorded as a new record), each
ended record naming the grade that follows so its outcome says resolving or worsening
(AEOUT, CDISC CT C66768)."""

from __future__ import annotations

from oncotrial.services._simulation import _outcome
from oncotrial.sim._treatment import LabRecord
from oncotrial.sim.trial import _lab_episodes

ANC = "Neutrophil count decreased"


def _anc(day: int, grade: int | None) -> LabRecord:
    return LabRecord(patient=0, day=day, cycle=1, cycle_day=day, test=ANC, value=1.0,
                     unit="10^9/L", value2=None, grade=grade)


def test_each_grade_is_its_own_record_with_the_grade_that_follows() -> None:
    labs = (_anc(1, 0), _anc(8, 1), _anc(15, 3), _anc(22, 3), _anc(29, 2), _anc(36, 0))
    records = sorted(_lab_episodes(labs), key=lambda r: r.start_day)
    assert [(r.grade, r.start_day, r.end_day, r.next_grade) for r in records] == [
        (1, 8, 14, 3),   # worsened on day 15: ends day 14
        (3, 15, 28, 2),  # improved to grade 2 on day 29
        (2, 29, 35, 0),  # resolved on day 36
    ]
    outcomes = [_outcome(r, resolved=True) for r in records]
    assert outcomes == ["NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING",
                        "RECOVERED/RESOLVED"]


def test_the_same_grade_on_consecutive_visits_is_one_record() -> None:
    records = _lab_episodes((_anc(1, 0), _anc(8, 2), _anc(15, 2), _anc(22, 0)))
    assert [(r.grade, r.start_day, r.end_day) for r in records] == [(2, 8, 21)]
    assert _outcome(records[0], resolved=False) == "NOT RECOVERED/NOT RESOLVED"


def test_a_grade_already_present_before_the_first_dose_is_not_an_adverse_event() -> None:
    """Treatment-emergent only (ICH E9 glossary): grade 1 at the pre-dose visit stays grade 1
    → no record; it worsens to grade 2 → a record of grade 2 only."""
    records = _lab_episodes((_anc(1, 1), _anc(8, 1), _anc(15, 2), _anc(22, 1)))
    assert [(r.grade, r.start_day, r.end_day, r.next_grade) for r in records] == [(2, 15, 21, 0)]


def test_serious_by_ich_e2a_criteria() -> None:
    from oncotrial.services._simulation import _serious
    from oncotrial.sim.trial import AdverseEventRecord

    def ae(term: str, grade: int, *, laboratory: bool = False) -> AdverseEventRecord:
        return AdverseEventRecord(0, term, grade, 1, 5, "eribulin", laboratory, False)

    assert _serious(ae("Febrile neutropenia", 3))  # hospitalisation
    assert _serious(ae("Diarrhea", 4))  # life-threatening consequences
    assert not _serious(ae("Diarrhea", 3))
    assert not _serious(ae("Neutrophil count decreased", 4, laboratory=True))  # a value range
    assert _serious(ae("Neutrophil count decreased", 5, laboratory=True))


def test_action_taken_is_the_decision_whose_rules_read_the_event() -> None:
    """AEACN (CDISC CT C66767): the most consequential dose decision during the episode whose
    rules matched the event's term; decisions about other terms do not count."""
    from oncotrial.services._simulation import _action_taken
    from oncotrial.sim._treatment import DoseRecord
    from oncotrial.sim.trial import AdverseEventRecord
    from oncotrial.types import DoseAction

    ae = AdverseEventRecord(0, "Fatigue", 3, 10, 20, "both", False, False)

    def dose(day: int, action: DoseAction, terms: tuple[str, ...]) -> DoseRecord:
        return DoseRecord(0, day, 1, day, "lenvatinib", action, 14.0, None, ("r",), terms)

    assert _action_taken(ae, [dose(12, DoseAction.HOLD, ("Fatigue",))]) == "DRUG INTERRUPTED"
    assert _action_taken(ae, [dose(12, DoseAction.HOLD, ("Fatigue",)),
                              dose(15, DoseAction.DISCONTINUE, ("Fatigue",))]) == "DRUG WITHDRAWN"
    assert _action_taken(ae, [dose(12, DoseAction.HOLD, ("Diarrhea",))]) == "DOSE NOT CHANGED"
    assert _action_taken(ae, [dose(25, DoseAction.HOLD, ("Fatigue",))]) == "DOSE NOT CHANGED"
    assert _action_taken(ae, [dose(12, DoseAction.REDUCE, ("Fatigue",))]) == "DOSE REDUCED"
