"""A detect-secrets plugin for Noorle API keys: the same rule as the gitleaks one."""
import re

from detect_secrets.plugins.base import RegexBasedDetector


class NoorleApiKeyDetector(RegexBasedDetector):
    """Noorle API key"""

    secret_type = "Noorle API key"
    denylist = [re.compile(r"(?<![0-9A-Za-z])ak-[0-9a-f]{32}[0-9A-Za-z]{16,128}(?![0-9A-Za-z])")]
