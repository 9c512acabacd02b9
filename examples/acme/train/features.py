"""Feature engineering shared by the credit models."""


def tenure_bucket(months: int) -> str:
    if months < 12:
        return "new"
    if months < 60:
        return "established"
    return "loyal"


def support_intensity(calls: int, tenure_months: int) -> float:
    return calls / max(tenure_months, 1)
