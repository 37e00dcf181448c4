"""Which privacy rights a message asks for: access, correction, deletion, opt-out.

A first, transparent classifier: cue patterns in French and English, read clause
by clause so that a negated cue ("don't delete my account") does not count and
a retraction ("never mind, keep it") cancels the request. Every label comes with
the cues that decided it, so an officer can see why.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from re import _parser  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any, NamedTuple

import ahocorasick

from intake_bot.classifiers.language import REPLY_SUBJECT

if TYPE_CHECKING:
    from intake_bot.classifiers.model import Reading

LABELS = ("access", "correction", "deletion", "opt-out")

# Scores at or above this are labels; a message with none is left for a human.
THRESHOLD = 0.5

_MY = (
    r"(my|our|mine|the|all|any|his|her|mes|mon|ma|nos|notre|les|la|le|l'|"
    r"toutes?\s+(les|mes)|tous\s+(les|mes))"
)
_DATA = (
    r"(personal\s+)?(data|information|info(?!lettre)|details|records?|files?|dossiers?|profile|account|"
    r"donn[ée]es|renseignements|informations|infos(?!lettre)|fiche|profil|compte)"
)
# "delete this account", "effacez ces renseignements": a demonstrative before what is theirs.
# Not "this e-mail" nor "this file": disclaimers ask that of a misdirected message.
_THIS_DATA = (
    r"(this|that|these|those|ce|cet|cette|ces)\s+(\w+\s+)?(data|information|records|account|profile|"
    r"donn[ée]es|renseignements|informations|compte|profil|fiche|dossier)\b"
)
# Data said to be wrong, the object of a correction: "des informations erronées", "les
# renseignements personnels inexacts"
_INACCURATE = (
    r"(renseignements?|informations?|donn[ée]es?)\s+(personnel(le)?s?\s+)?(inexacte?s?|erron[ée]e?s?|"
    r"incompl[èe]te?s?|p[ée]rim[ée]e?s?)\b"
)
# What is removed is money owed, not data: "remove the late fee from my account",
# "enlever les frais de retard de mon compte" (put right after the verb).
_NOT_MONEY = (
    r"(?!\s+((all\s+)?(the|a|those|these|this|that)|tou[st]\s+les|les|la|le|l'|ces|ce|cette)?\s*"
    r"(?!(my|mes|mon|ma|our|nos|notre)\s)([$€]?\w+([.,]\d+)?(\s*[$€])?\s+){0,2}"
    # not "free of charge", "sans frais", nor one's interests ("my interest profile")
    r"(?<!sans\s)(?<!of\s)(?<!no\s)(?<!without\s)(?<!criminal\s)(?<!withdrawn\s)(?<!dismissed\s)"
    r"(fees?|charges?|penalt\w*|frais|p[ée]nalit\w*|int[ée]r[êe]ts?(?!\s+(de|du)\s+(mon|ma)\s+profil)|"
    r"interest(?!\s*-?\s*(profile|categor|segment|based|data))|amendes?|fines?)\b"
    # and the data that comes with it: "the $25 fee along with my phone number", not "the fee on
    # my account and my daughter's"
    r"(?!(?:(?!\s(from|off|on|in|of|to|de|du|des|d'|sur|dans|[àa]|au)\s*(my|mon|ma|mes|our|nos|notre|the|le|la|"
    r"les|l'|your|votre|vos)\b)[^.?!\n]){0,25}?\s(and|et|&|pis|plus|also|aussi|ainsi\s+que|as\s+well\s+as|along\s+with)\s+"
    r"(my|mes|mon|ma|our|nos|notre|all|tou)))"
)
# An account's balance, statement, password or number, a file's status, is no personal
# information to access: "where can I view my account balance?", "connaître le solde de mon
# compte", "télécharger le relevé de mon compte" are support questions. _DETAIL_GAP is the gap
# between an access verb and "my data" that passes over no such detail; _NOT_DETAIL follows it.
_DETAIL = (
    r"(soldes?|relev[ée]s?|mots?[\s-]+de[\s-]+passe|nip|[ée]tats?|statuts?|identifiants?|factures?|avancement|"
    r"codes?|liens?|balances?|statements?|passwords?|pin|status|invoices?|bills?|login|username|links?)"
)
# a number or the settings are a detail of an account, not of a file ("the phone number on my file")
_DETAIL_GAP = (
    rf"(?:(?!\b({_DETAIL}(\s+(?!(and|et|or|ou)\b)[\w']+){{0,2}}\s*(de|du|d'|des|of|for|on|in|to|[àa]|au|sur|"
    r"dans|pour)\s*(my|mon|ma|the|le|la|l')\s*(account|compte|dossier|file|profile?)\b|(num[ée]ros?|numbers?|"
    r"param[èe]tres|settings)\s*(de|du|d'|of|for|on|in|to|[àa]|au|sur|dans|pour)\s*(my|mon|ma|the|le|la|l')\s*"
    r"(account|compte)\b|o[ùu]\s+en\s+est))[^.?!\n]){0,40}"
)
_NOT_DETAIL = (
    r"(?!('s)?\s+(balances?|statements?|passwords?|numbers?|settings|status|login|username|credentials|pin|"
    r"summary|dashboard)\b(?!\s+(and|history|records?|logs?|data)\b))"
)
# Consent refused to a price or a contract is a complaint: "I do not consent to the price increase"
_NOT_A_BILL = (
    r"(?!\s+(to|[àa]|au|aux)\s+(\w+\s+){0,3}?(price|prix|rates?|charges?|fees?|increase|terms|renewal|renouvellement|"
    r"billed|charged|hold|payments?|contract|contrat|payer|frais|hausse|tarifs?|factur\w*|conditions|auto-?renew\w*))"
)
# What an organisation holds about someone, as the object of "take my ... off", "don't keep my ..."
_HELD = (
    r"(info\w*|data|details|contact\w*|number|phone(\s+number)?|e-?mail(\s+address)?|address|card|credit\s+card|"
    r"records?|photos?|pictures?|name|sin|personal\s+\w+|medical\s+\w+|cv|r[ée]sum[ée])"
)
# After "remove my number ...": the sender wants off a list, not erased (opt-out); unless a
# second request begins before the list is named: "procéder à l'effacement de mes données et
# de ne plus m'envoyer vos infolettres", "delete my data and stop the newsletter" ask both.
_OFF_A_LIST = (
    r"(?!(?:(?!\b(et\s+(de\s+)?(ne|n.)|and\s+(to\s+)?(stop|don.t|do\s+not|never|no\s+longer|unsubscribe)|"
    r"et\s+(arr[êe]t\w*|cess\w*|d[ée]sabonn\w*|d[ée]sinscri\w*))\b)[^.?!\n]){0,60}\b(lists?|listes?|mailings?|campaigns?|"
    r"envois|infolettres?|newsletters?|sollicitations?|solicitations?|prospection)\b)"
)
# Files that are for marketing: out of them is an opt-out, not an erasure ("ne plus figurer
# dans votre base de données marketing", "kept in your database for marketing purposes").
_NOT_FOR_MARKETING = (
    r"(?![^.;!?\n]{0,40}\b(prospection|marketing|publicit|promotion|commerci|infolettre|newsletter|abonn[ée]|"
    r"sollicitation|diffusion|envoi|offres|advertising|mailing|promotional|offers)\w*)"
)
# An e-mail the sender sent is a message, not their address: "please delete the email I sent
# at 10:14", "supprimez mon courriel précédent" ask nothing of their data.
_SENT = (
    r"(?!\s+((that|which)\s+)?(i|we)\s+(just\s+)?sent|\s+pr[ée]c[ée]dent|\s+que\s+je\s+vous\s+ai|"
    r"\s+envoy[ée]|\s+d.hier|\s+de\s+ce\s+matin)"
)
_FIELDS = (
    rf"(address|adress|e-?mail{_SENT}|phone|telephone|number|name|surname|birth|date of birth|"
    r"spelling|postal code|zip|title|record|details|information|data|infos?(?!lettre)|"
    rf"adresse|courriel{_SENT}|t[ée]l[ée]phone|num[ée]ro|nom|pr[ée]nom|naissance|code postal|"
    r"coordonn[ée]es|renseignements?|donn[ée]es|informations?|orthographe|cellulaire|cell)"
)

# (label, weight, pattern): weights near 1 are unmistakable, lower ones need company.
_CUES: list[tuple[str, float, str]] = [
    # access (including portability)
    (
        "access",
        0.95,
        r"\b(subject\s+access|data\s+subject\s+access|dsar|right\s+(of|to)\s+access|"
        r"right\s+to\s+(data\s+)?portability|data\s+portability)\b",
    ),
    ("access", 0.95, r"\b(droit\s+d.acc[eè]s|portabilit[ée])\b"),
    # Naming a request is often a reference to one ("thanks for answering my access
    # request"): the model decides, with the cue as a feature.
    ("access", 0.8, r"\b(access\s+request|demande\s+d.acc[eè]s)\b"),
    # the words of laws that say "disclose" (California's, Canada's): "I request that you disclose
    # to me the personal information you have collected about me", "veuillez me divulguer les
    # renseignements que vous détenez à mon sujet"; of the writer's data or of what is held,
    # not a policy, sales figures, a supplier's name or another customer's file
    (
        "access",
        0.9,
        r"\b(disclose\s+to\s+me|me\s+(divulguer|d[ée]voiler|r[ée]v[ée]ler)|(divulguez|d[ée]voilez|r[ée]v[ée]lez)-moi)\b"
        r"(?![^.?!\n]{0,80}\b(another|other\s+(customers?|patients?|users?|clients?)|previous\s+owner|someone\s+else|"
        r"d.une?\s+autre|d.autres|voisine?|policy|politique|tarifs?|prices?|ventes|sales|audience)\b)"
        r"[^.?!\n]{0,100}\b(me\s+concernant|qui\s+me\s+concernent|[àa]\s+mon\s+(sujet|[ée]gard)|about\s+me|on\s+me|"
        r"(que|qu.)\s*vous\s+(d[ée]tenez|avez|conservez|poss[ée]dez)|you\s+(have|hold|collected|process|keep|retain)|"
        r"d[ée]tenus?|held\s+(about|on)|collected\s+about|(mes|my)\s+(renseignements|donn[ée]es|informations|infos|"
        r"personal|data|information|records|file|dossier))\b",
    ),
    (
        "access",
        0.9,
        rf"\b(access|copy|copies|see|view|obtain|get(?!\s+rid)|receive|review|export|download|"
        rf"provide|send|give|(furnish|supply)\s+me\s+with)\b{_DETAIL_GAP}\b{_MY}\s+{_DATA}{_NOT_DETAIL}",
    ),
    (
        "access",
        0.9,
        r"\bwhat\s+(personal\s+)?(data|information|info|details)\b[^.?!\n]{0,40}\b"
        r"(you|your\s+company)\s+(have|hold|keep|store|collect|process)",
    ),
    (
        "access",
        0.9,
        rf"\b(acc[eé]der|avoir\s+acc[eè]s|demande\s+(l.)?acc[eè]s\s+[àa]|consulter|obtenir|recevoir|copie|envoyer|"
        rf"transmettre|communiquer|voir|conna[iî]tre|exporter|t[ée]l[ée]charger)\b"
        rf"{_DETAIL_GAP}\b{_MY}\s*{_DATA}",
    ),
    (
        "access",
        0.9,
        r"\bquel(le)?s?\s+(donn[ée]es|informations|renseignements)\b[^.?!\n]{0,40}\b"
        r"(d[ée]tenez|avez|poss[ée]dez|conservez|collectez|gardez|traitez)",
    ),
    # the law's own words (Quebec's private-sector act, s. 27): "je demande la communication
    # de mon dossier", "confirmer l'existence d'un dossier à mon nom"
    (
        "access",
        0.85,
        r"\b(demande|sollicite|r[ée]clame|requiers|obtenir)\s+(la\s+|une\s+)?(communication|transmission|"
        r"consultation)\s+(int[ée]grale\s+|compl[èe]te\s+)?(de\s+(mon|ma|mes|l.ensemble\s+de\s+mes)\s*"
        r"(dossier|renseignements|donn[ée]es|informations|fiche|profil|compte)|(de\s+l.ensemble\s+des|des|du|"
        r"de\s+tou(te)?s\s+les)\s+(dossier|renseignements|donn[ée]es|informations)[^.?!\n]{0,40}?((me|le|la|les|"
        r"nous)\s+concernant|[àa]\s+(mon|son|leur)\s+(sujet|nom|[ée]gard)|sur\s+moi|que\s+vous\s+(d[ée]tenez|"
        r"avez|poss[ée]dez)))",
    ),
    (
        "access",
        0.85,
        r"\bconfirmer\s+l.existence\s+(de\s+mon\s+dossier|(de\s+|d.)(un|tout)?\s*(dossier|renseignements|"
        r"donn[ée]es|informations)(\s+personnel(le)?s)?\s+([àa]\s+mon\s+nom|me\s+concernant|[àa]\s+mon\s+sujet|"
        r"sur\s+moi|que\s+vous\s+d[ée]tenez))",
    ),
    (
        "access",
        0.85,
        r"\bprendre\s+connaissance\s+(de\s+(mon|ma|mes|l.ensemble\s+de\s+mes|tou[st]\s+mes)\s*|du\s+|des\s+)"
        r"(dossier|renseignements|donn[ée]es|informations)(?!\s+(de\s+(ma|mon)\s+)?(r[ée]clamation|plainte|sinistre))",
    ),
    ("access", 0.85, r"\b(machine-readable|portable|csv|json|structured)\s+(format|file|export)\b"),
    ("access", 0.85, r"\b(format\s+(structur[ée]|csv|json|lisible))\b"),
    ("access", 0.85, r"\bright\s+to\s+know\b"),
    (
        "access",
        0.85,
        r"\b(send|give|show|tell)\s+(me\s+)?(everything|all|whatever)\s+(that\s+)?(you\s+)?"
        r"(have|hold|keep|store|know)\s+(on|about)\s+me\b",
    ),
    (
        "access",
        0.85,
        r"\b(envoyer|envoyez|transmettre|transmettez|voir|obtenir|recevoir|communiquer|"
        r"communiquez|montrer|montrez)\b[^.?!\n]{0,20}\btout\s+ce\s+que\s+vous\s+"
        r"(avez|d[ée]tenez|poss[ée]dez|savez|conservez)",
    ),
    # where my information came from, and to whom it went
    (
        "access",
        0.8,
        r"\b(who\s+gave\s+you\s+my|where\s+did\s+you\s+get\s+my|"
        r"qui\s+vous\s+a\s+(donn[ée]|transmis|fourni|vendu)\s+(mes|mon|ma)|"
        r"o[ùu]\s+avez-vous\s+(pris|obtenu|eu|trouv[ée])\s+(mes|mon|ma)|"
        r"[àa]\s+qui\s+avez-vous\s+(communiqu|transmis|partag|vendu|donn)|"
        r"whom\s+(have\s+)?you\s+(shared|sold|disclosed)|"
        r"(list|liste)\s+(of\s+|des\s+)?(every\s+|all\s+|the\s+)?(third[- ]part|tiers))",
    ),
    # not a copy of an identity document (sent to prove who one is) nor of an invoice or a
    # receipt (a service request): "voici une copie de mon permis", "a copy of my invoice"
    (
        "access",
        0.8,
        r"\b(copie|copy)\s+(compl[èe]te\s+)?(of|de|du|des)\s+(all\s+|tou[ts]\s+)?(my|mon|ma|mes|"
        r"l.historique|the\s+history)\b(?!\s+((last|latest|recent|most\s+recent|previous|monthly|"
        r"(last|past)\s+(two|three|few|\d+)|derni(er|[èe]re)s?|pr[ée]c[ée]dente?s?|r[ée]cente?s?|mensuel(le)?s?)\s+)?"
        r"(permis|passeport|passport|driver.?s?\s+licen|licen[cs]e|id\b(?!\s+verif)|"
        r"pi[èe]ce\s+d.identit|certificat|birth|diplom|dipl[ôo]me|facture|invoice|receipt|re[çc]u\b|bill\b))",
    ),
    ("access", 0.8, r"\bd.o[ùu]\s+(tenez|sortez|prenez)[- ]vous\s+(mes|mon|ma|nos|notre)\b"),
    # "une copie des renseignements que vous détenez", "l'origine de mes coordonnées"
    (
        "access",
        0.8,
        r"\b(copie|copies)\s+(compl[èe]te\s+)?(des|de\s+tou(te)?s\s+les)\s+(donn[ée]es|renseignements|"
        r"informations)\b",
    ),
    (
        "access",
        0.8,
        r"\b((origine|provenance|source)\s+de\s+(mes|mon|ma|nos)|d.o[ùu]\s+(viennent|proviennent)\s+(mes|nos)|"
        r"(source|origin)\s+of\s+(my|our))\s+(coordonn[ée]es|donn[ée]es|renseignements|informations|"
        r"num[ée]ro|adresse|courriel|data|information|details|number|address|e-?mail)",
    ),
    # "qu'est-ce que vous avez sur moi", "savoir ce que vous savez à mon sujet", "c quoi les infos
    # que vous avez sur moi", "what info do you guys have on me"; not the object of another verb
    # ("supprimez les données que vous détenez sur moi", "delete what data you have on me")
    (
        "access",
        0.85,
        r"\b(qu.est[- ]?ce\s+qu|(savoir|conna[îi]tre|voir|quoi|quels?|quelles?)\b[^.?!\n]{0,25}"
        r"\b(ce\s+qu|(infos?|informations?|donn[ée]es|renseignements)\s+qu))(e\s+|')"
        r"vous\s+(savez|avez|d[ée]tenez|poss[ée]dez|conservez|gardez)\s+"
        r"(sur\s+moi|[àa]\s+mon\s+(sujet|propos)|me\s+concernant)\b",
    ),
    (
        "access",
        0.85,
        r"\bque\s+(savez|avez|d[ée]tenez|poss[ée]dez|conservez|gardez)[- ]vous\s+"
        r"(sur\s+moi|de\s+moi|[àa]\s+mon\s+(sujet|propos)|me\s+concernant)\b",
    ),
    (
        "access",
        0.85,
        r"\bwhat\s+((info|information|data|details|stuff|records|personal\s+\w+)\s+do\s+|do\s+)?you"
        r"(\s+guys|\s+people|\s+all)?\s+(know|have|hold|keep|store)\s+(on|about)\s+me\b",
    ),
    (
        "access",
        0.85,
        r"\bwhat(.?s|\s+is)\s+on\s+file\s+(for|about|on)\s+me\b",
    ),
    # "je veux mon dossier.", "I want my whole file": the file itself, nothing done to it
    (
        "access",
        0.85,
        r"\b(veux|voudrais|aimerais|want|would\s+like)\s+(avoir\s+|recevoir\s+|obtenir\s+|to\s+(get|have|see)\s+)?"
        r"(mon|my)\s+(entire\s+|whole\s+|complete\s+)?(dossier|file|records)(\s+(complet|au\s+complet))?"
        r"\s*([.!?]|$|svp|please|pls)",
    ),
    (
        "access",
        0.85,
        r"\bsi\s+vous\s+(d[ée]tenez|avez|poss[ée]dez|conservez|traitez)\s+(des|mes|de\s+mes)\s+"
        r"(donn[ée]es|renseignements|informations)",
    ),
    (
        "access",
        0.85,
        r"\b(whether|if)\s+you\s+(hold|have|keep|store|process)\s+(any\s+)?(personal\s+)?(data|information|"
        r"info|details|records)\s+(about|on|of)\s+me\b",
    ),
    (
        "access",
        0.85,
        r"\bdo\s+you\s+have\s+(any\s+)?(personal\s+)?(data|information|info|details|records)\s+(about|on)\s+me\b",
    ),
    (
        "access",
        0.85,
        r"\b(savoir|conna[iî]tre|know|find\s+out|see)\s+(quels?|quelles?|what|which)\s+(donn[ée]es|informations|"
        r"renseignements|data|information|info|details)\b",
    ),
    # correction
    (
        "correction",
        0.85,
        rf"\b(corrigiez|rectifiiez|modifiiez|changiez|mettiez\s+[àa]\s+jour)\b[^.?!\n]{{0,40}}\b{_FIELDS}",
    ),
    # the passive, when asked for: "I need my name corrected", "que l'information soit mise à jour"
    (
        "correction",
        0.85,
        rf"\b(want|like|need|request|ask|have|get)\s+{_MY}\s+{_FIELDS}\s+(\w+\s+){{0,4}}"
        rf"(corrected|updated|fixed|changed|amended|rectified)\b",
    ),
    (
        "correction",
        0.85,
        rf"\b(que|veux|voudrais|souhaite|demande)\s+{_MY}\s*{_FIELDS}\s+(\w+\s+){{0,4}}"
        rf"(mise?s?\s+[àa]\s+jour|corrig[ée]e?s?|rectifi[ée]e?s?|modifi[ée]e?s?)",
    ),
    (
        "correction",
        0.85,
        rf"\b{_FIELDS}\b[^.?!\n]{{0,40}}\b(is|are|was|est|sont)\s+(mal\s+[ée]crite?s?|"
        rf"mal\s+[ée]pel[ée]e?s?|spelled\s+wrong|spelt\s+wrong)",
    ),
    (
        "correction",
        0.95,
        r"\b(right\s+to\s+rectification|droit\s+de\s+rectification|"
        r"demande\s+de\s+rectification|rectification\s+request)\b",
    ),
    (
        "correction",
        0.9,
        rf"\b(correct|rectify|update|fix|change|amend|modify|edit)\b"
        rf"[^.?!\n]{{0,40}}\b{_FIELDS}",
    ),
    (
        "correction",
        0.9,
        rf"\b(corriger|corrigez|rectifier|rectifiez|mettre\s+[àa]\s+jour|mettez\s+[àa]\s+jour|"
        rf"modifier|modifiez|changer|changez|"
        rf"mise\s+[àa]\s+jour|correction|rectification)\b[^.?!\n]{{0,40}}\b{_FIELDS}",
    ),
    (
        "correction",
        0.85,
        rf"\b{_FIELDS}\b[^.?!\n]{{0,40}}\b(is|are|was)\s+(wrong|incorrect|"
        rf"inaccurate|out\s+of\s+date|outdated|misspelled|not\s+up\s+to\s+date)",
    ),
    (
        "correction",
        0.85,
        rf"\b{_FIELDS}\b[^.?!\n]{{0,40}}\b(est|sont)\s+(erron[ée]e?s?|inexacte?s?|"
        rf"incorrecte?s?|fausse?s?|pas\s+[àa]\s+jour|p[ée]rim[ée]e?s?|mal\s+orthographi)",
    ),
    (
        "correction",
        0.8,
        r"\b(wrong|incorrect|inaccurate)\s+(address|name|phone|number|e-?mail|"
        r"date|spelling|information|data)\b",
    ),
    # "que soient corrigés les renseignements", "les renseignements inexacts me concernant"
    (
        "correction",
        0.85,
        r"\bque\s+soi(en)?t\s+(corrig|rectifi|modifi|mis)\w*(\s+[àa]\s+jour)?\s+(mes|mon|ma|les|la|le|l'|"
        r"tou(te)?s?)\s*(les\s+)?(renseignements?|informations?|donn[ée]es?|coordonn[ée]es|adresse|nom|num[ée]ro|"
        r"date\s+de\s+naissance|dossier|fiche|profil)",
    ),
    (
        "correction",
        0.8,
        rf"\b{_INACCURATE}[^.?!\n]{{0,40}}?((me|le|la|les)\s+concernant|[àa]\s+(mon|son)\s+"
        rf"(sujet|dossier|nom)|(dans|de|[àa]|sur)\s+(mon|ma|mes|son|sa|ses)\s|sur\s+moi)",
    ),
    (
        "correction",
        0.8,
        rf"\b(mon|ma|mes|son|sa|ses|notre|nos)\s[^.?!\n]{{0,60}}\b{_INACCURATE}",
    ),
    (
        "correction",
        0.8,
        r"\b(mauvaise?|erreur\s+dans\s+(mon|ma|mes))\s*(adresse|nom|num[ée]ro|courriel|"
        r"date|orthographe|renseignements?)\b",
    ),
    (
        "correction",
        0.75,
        r"\b(i\s+(have\s+)?moved|new\s+address|j.ai\s+d[ée]m[ée]nag[ée]|"
        r"nouvelle\s+adresse|changement\s+d.adresse)\b",
    ),
    (
        "correction",
        0.75,
        r"\b(my\s+new|mon\s+nouveau|ma\s+nouvelle|mes\s+nouvelles?|mes\s+nouveaux)\s+(\w+\s+)?(address|number|"
        r"phone|e-?mail|name|num[ée]ro|t[ée]l[ée]phone|courriel|nom|adresse|coordonn[ée]es|cellulaire)\b",
    ),
    # "new phone 514-555-0188", "my number changed", "mon adresse a changé" (or "a changer")
    ("correction", 0.75, r"^\s*new\s+(phone|cell|number|e-?mail|address)\b"),
    (
        "correction",
        0.8,
        r"\b(my|mon|ma)\s+(address|phone\s+number|number|e-?mail|name|adresse|num[ée]ro|courriel|"
        r"t[ée]l[ée]phone|cellulaire|nom)\s+(has\s+changed|changed|a\s+chang[ée]r?|vient\s+de\s+changer)\b",
    ),
    # deletion
    # the French subjunctive after "je veux que vous...": "que vous effaciez mon numéro"
    (
        "deletion",
        0.85,
        rf"\b(supprimiez|effaciez|d[ée]truisiez|retiriez|enleviez|anonymisiez)\b"
        rf"[^.?!\n]{{0,40}}\b({_MY}\s*{_DATA}|{_MY}\s*{_FIELDS}){_OFF_A_LIST}",
    ),
    ("deletion", 0.85, rf"\bdispose\s+of\s+{_MY}\s+{_DATA}"),
    # the right to be forgotten in plain words: "faites disparaître mon nom de vos fichiers",
    # "oubliez-moi", "forget everything you know about me"
    (
        "deletion",
        0.85,
        rf"\b(dispara[îi]tre\s+(mon|ma|mes|toutes?\s+mes|tous\s+mes|nos|notre)\s*"
        rf"({_DATA}|{_FIELDS}|photos?|images?|vid[ée]os?)\b|"
        r"(oubli(ez|iez)(-|\s+)|oublie-)mo[iée]\b(?!\s+(pas|point|au|aux|ce|cette|cet|[àa]|pour)\b)|"
        r"oubli(ez|iez)\s+tout\s+ce\s+que\s+vous\s+(savez|avez|d[ée]tenez|poss[ée]dez)\s+((sur|de)\s+moi|"
        r"[àa]\s+mon\s+sujet|me\s+concernant)\b|oubli(ez|iez)\s+que\s+j'(ai\s+)?exist|"
        r"oubli[ée](?<=[êe]tre\soubli[ée])|forgotten(?<=\bbe\sforgotten)|"
        # "forget me" ending its sentence ("please forget me."), not "forget me not", "forget about me??"
        r"forget\s+(about\s+)?me\s*(please|pls|now|completely|for\s+good)?\s*([.!]|$)|"
        r"forget\s+(everything|all)\s+(you\s+(know|have|hold)\s+|you've\s+got\s+)?(about|on)\s+me\b|"
        r"toute\s+trace\s+de\s+(moi|mon|ma|mes)\b|(every|all|any)\s+traces?\s+of\s+me\b)",
    ),
    # "forget I exist" as an order, not "your support team seems to forget I exist"
    (
        "deletion",
        0.85,
        r"\bforget(?:(?<=^forget)|(?<=[.!,;:\n]forget)|(?<=[.!,;:\n] forget)|(?<=please forget)|"
        r"(?<=pls forget)|(?<=just forget)|(?<=and forget)|(?<=so forget)|(?<=then forget))\s+(that\s+)?"
        r"(i|you)\s+(ever\s+)?"
        r"(exist(ed)?|knew\s+me|was\s+(ever\s+)?(a|your)\s+(customer|client|member|user))\b",
    ),
    (
        "deletion",
        0.8,
        r"\b(no\s+(longer\s+(have\s+)?)?(any\s+)?reason\s+(for\s+you\s+)?to\s+keep|"
        r"plus\s+aucune\s+raison\s+de\s+(garder|conserver)|aucune\s+raison\s+de\s+(garder|conserver))\b",
    ),
    (
        "deletion",
        0.95,
        r"\b(right\s+to\s+(be\s+forgotten|erasure|deletion)|droit\s+[àa]\s+l.(oubli|effacement)|"
        r"droit\s+(de|[àa]\s+la)\s+suppression|d[ée]sindexation|d[ée]r[ée]f[ée]rencement)\b",
    ),
    # de-indexing and ending the dissemination (Quebec's act, s. 28.1)
    (
        "deletion",
        0.85,
        r"\b((d[ée]sindex|d[ée]r[ée]f[ée]renc)(er|ez|iez|[ée]e?s?)|de-index|deindex)\b"
        r"(?![^.?!\n]{0,20}\b(rente|pension|salaire|prestation|prix|tarif|loyer|allocation))",
    ),
    (
        "deletion",
        0.85,
        r"\bcess(er|ez|iez)\s+(de\s+diffuser|la\s+diffusion\s+(de|des|du|d'))\s*(ma|mon|mes|la|le|les|l'|cette|"
        r"ce|ces)?\s*(\w+\s+){0,2}?(photos?|nom|images?|vid[ée]os?|renseignements|coordonn[ée]es|informations|"
        r"profil|adresse|donn[ée]es|dossier)\b",
    ),
    (
        "deletion",
        0.9,
        rf"\b(delete|erase|remove|destroy|purge|wipe|trash|scrub|nuke|anonymi[sz]e|deletion|erasure|get\s+rid\s+of)\b"
        rf"{_NOT_MONEY}[^.?!\n]{{0,40}}\b({_MY}\s+{_DATA}|{_MY}\s+{_FIELDS}|me\s+from\s+(your|all)\s+"
        rf"(database|records|systems|files|servers|crm)|everything\s+you\s+have){_OFF_A_LIST}",
    ),
    (
        "deletion",
        0.9,
        rf"\b(supprimer|supprimez|effacer|effacez|d[ée]truire|d[ée]truisez|anonymiser|"
        rf"suppression|effacement|destruction|retirer|retirez|enlever|enlevez|[ôo]ter|[ôo]tez|"
        rf"d[ée]barrasse[zr]-vous\s+de|vous\s+d[ée]barrasser\s+de)\b"
        rf"{_NOT_MONEY}[^.?!\n]{{0,40}}\b({_MY}\s*{_DATA}|{_MY}\s*{_FIELDS}|"
        rf"(de|des)\s+vos\s+(bases?|dossiers|syst[èe]mes|fichiers|serveurs)|"
        rf"tout\s+ce\s+que\s+vous\s+(avez|d[ée]tenez|poss[ée]dez|conservez|gardez|savez)"
        rf"(?![^.?!\n]{{0,30}}\b(panier|cart|cache|brouillons?|commandes?)\b)){_OFF_A_LIST}",
    ),
    (
        "deletion",
        0.9,
        rf"\b(close|delete|terminate|cancel)\s+{_MY}\s+account\b[^.?!\n]{{0,40}}\b"
        rf"(data|information|delete|erase)",
    ),
    (
        "deletion",
        0.85,
        r"\b(fermer|supprimer|fermeture\s+de)\s+(mon|le)\s+compte\b[^.?!\n]{0,60}"
        r"\b(donn[ée]es|renseignements|effac|supprim)",
    ),
    ("deletion", 0.85, r"\b(delete|erase|supprimer|effacer)\s+(my|mon|le)\s+(account|compte)\b"),
    (
        "deletion",
        0.85,
        rf"\b(delete|erase|remove|destroy|purge|wipe|anonymi[sz]e|supprimer|supprimez|effacer|effacez|"
        rf"d[ée]truire|d[ée]truisez|anonymiser|anonymisez)\s+{_THIS_DATA}{_OFF_A_LIST}",
    ),
    # the passive, when asked for: "I'd like my data erased", "que mes données soient supprimées"
    (
        "deletion",
        0.85,
        rf"\b(want|like|need|request|ask|have|get)\s+{_MY}\s+{_DATA}\s+(\w+\s+){{0,4}}"
        rf"(deleted|erased|removed|destroyed|wiped|purged|anonymi[sz]ed)\b",
    ),
    (
        "deletion",
        0.85,
        rf"\b(que|veux|voudrais|souhaite|demande)\s+{_MY}\s*{_DATA}\s+(\w+\s+){{0,4}}"
        rf"(supprim[ée]e?s?|effac[ée]e?s?|d[ée]truite?s?|anonymis[ée]e?s?)\b",
    ),
    ("deletion", 0.8, r"\b(erasure|deletion)\s+request\b"),
    # what is removed is a photo, a CV, a card on file: "retirez sa photo du babillard",
    # "ôtez ma carte de crédit au dossier", "please delete my application and CV"
    (
        "deletion",
        0.85,
        r"\b(delete|erase|remove|destroy|shred|take\s+down|supprimer|supprimez|effacer|effacez|retirer|"
        r"retirez|enlever|enlevez|[ôo]ter|[ôo]tez|d[ée]truire|d[ée]truisez|d[ée]chiqueter|suppression|retrait|"
        r"effacement|removal|deletion)\b[^.?!\n]{0,30}"
        r"\b(my|his|her|our|mes|mon|ma|ses|son|sa|nos|notre)\s+(\w+\s+(and|et)\s+)?(old\s+|ancienne?s?\s+)?(photos?|pictures?|"
        r"pics?|images?|videos?|vid[ée]os?|cv|r[ée]sum[ée]s?|credit\s+card|carte\s+de\s+cr[ée]dit|"
        r"recordings?|enregistrements?|nas|sin|social\s+insurance\s+number|fax)\b",
    ),
    # a pronoun for what was named before: "enlevez-la", "effacez ça", "delete what you have";
    # under RULE_SURE: the model learns how far the pronoun points at the sender's data
    (
        "deletion",
        0.6,
        r"\b((supprimez|effacez|d[ée]truisez|enlevez|retirez|jetez)-(le|la|les)|"
        r"(supprimez|effacez|d[ée]truisez|jetez|enlevez)\s+(ça|ca|cela|ce\s+que\s+vous\s+avez|tout\s+ça)|"
        r"(jeter|jetez)\s+(le|la|les|mon|ma|mes)\s+(formulaires?|copies?|documents?|papiers?|dossiers?|fiches?)|"
        r"(delete|erase|destroy|shred|wipe)\s+(what\s+you\s+have|whatever\s+you\s+have|them\s+all))\b",
    ),
    # after another request: "send me a copy, then wipe it", "envoyez-les-moi, puis les effacer"
    (
        "deletion",
        0.6,
        r"\b((then|afterwards|after\s+that)\s*,?\s+(please\s+)?(delete|erase|wipe|destroy|purge|get\s+rid\s+of)\s+"
        r"(it|them|it\s+all|them\s+all|everything|the\s+rest|all\s+of\s+(it|them))\s*(?=[.!,]|$|\s+(please|pls|too|"
        r"as\s+well|for\s+good|permanently|afterwards))|(delete|erase|wipe|destroy)\s+(it|them)\s+(afterwards|"
        r"after(wards)?\s*([.!]|$))|(puis|ensuite|pis|apr[èe]s(\s+[çc]a)?)\s*,?\s+(de\s+)?((vous\s+pouvez\s+)?(les|l')\s*"
        r"(effacer|supprimer|d[ée]truire)|tout\s+(effacer|supprimer|d[ée]truire)|(effacez|supprimez|d[ée]truisez)(-les|"
        r"\s+(tout|toute|le\s+reste|le\s+tout))))(?![^.?!\n]{0,30}\b(panier|cart|cache|brouillons?|drafts?)\b)",
    ),
    ("deletion", 0.85, rf"\b(want|need)\s+(all\s+)?{_MY}\s+{_DATA}\s+(\w+\s+){{0,2}}gone\b"),
    # "take his number off my file", "take it off your system", "I'd like to disappear from
    # your records" (off a list is left out: "take me off your mailing list" opts out)
    (
        "deletion",
        0.85,
        rf"\b(take\s+(my|his|her|our|their)\s+(\w+\s+){{0,2}}?{_HELD}\s+(off|out\s+of)|(take|get)\s+(it|them|me|my\s+"
        rf"(\w+\s+)?{_HELD})\s+(off|out\s+of)\s+(your|all\s+your)\s+(\w+\s+)?(systems?|records?|files?|databases?|servers?|"
        r"crm)|take\s+(his|hers|theirs)\s+off\s+(my|his|her|our)\s+(file|record|account)|"
        r"take\s+(my|his|her|the)\s+([\w-]+\s+){1,2}?off\s+(my|his|her|our)\s+(file|record)s?|"
        r"disappear\s+from\s+(your|all\s+your|all\s+of\s+your)|dispara[îi]tre\s+de\s+(vos|votre|tous\s+vos)|"
        rf"sorte[zs]-moi\s+de\s+(vos|votre)\s+(dossiers?|fichiers?|syst[èe]mes?|registres?|bases?))\b{_OFF_A_LIST}",
    ),
    # "don't keep my contact info", "I'd prefer you didn't keep mine", "ne gardez pas mes
    # coordonnées": under RULE_SURE, since a question asks it too ("you don't keep my card, right?")
    (
        "deletion",
        0.8,
        rf"\b((don't|dont|do\s+not)\s+(keep|store|retain|hold\s+on\s+to)\s+((any\s+of\s+)?(my|his|her|their|our)\s+"
        rf"(\w+\s+){{0,2}}?{_HELD}|(mine|his|hers|theirs)\b))",
    ),
    (
        "deletion",
        0.8,
        r"\b(ne\s+(gardez|conservez|gardiez|conserviez)|gardez|conservez)\s+(pas|aucune?)\s+(de\s+)?(mes|mon|ma|ses|son|sa|"
        r"nos|notre|leurs?)\s+(\w+\s+)?(coordonn|donn|renseign|infos?|informations|num[ée]ro|adresse|courriel|carte|"
        r"dossier|photos?|documents?|nas)\w*\b",
    ),
    # "fermez mon compte et n'en gardez rien", "don't keep any copy"
    (
        "deletion",
        0.85,
        r"\b((n.en|ne)\s+(gardez|conservez)\s+(rien|aucune?\s+(copie|trace|donn[ée]e|information|renseignement))|"
        r"(don.t|do\s+not)\s+keep\s+(anything|any\s+(copy|copies|record|records|trace))\b)",
    ),
    # "je demande la suppression des données de conduite", "the erasure of all the data"; these
    # also name what a question is about ("votre délai pour la suppression des données?"),
    # so they stay under RULE_SURE and the model decides
    (
        "deletion",
        0.8,
        r"\b(suppression|effacement|destruction|anonymisation|deletion|erasure)\s+"
        r"(compl[èe]te\s+|d[ée]finitive\s+)?(des|de\s+tou(te)?s\s+les|of\s+(all\s+)?the)\s+"
        r"(donn[ée]es|renseignements|informations|images|enregistrements|data|information|records|recordings)\b",
    ),
    (
        "deletion",
        0.85,
        r"\b(d[ée]truire|d[ée]truisez|supprimer|supprimez|effacer|effacez|delete|destroy|erase|shred|"
        r"d[ée]chiqueter|d[ée]chiquetez)\b[^.?!\n]{0,20}\b(mon|my|le|the)\s+(cv|resume|r[ée]sum[ée]|"
        r"curriculum|dossier\s+de\s+candidature|job\s+application|candidature)\b",
    ),
    # the passive with any thing of mine: "I want my voice recordings permanently deleted"
    (
        "deletion",
        0.8,
        r"\b(want|like|need|request|ask|have|get)\s+(my|our|all\s+my|all\s+of\s+my|this|that|these|those)\s+"
        r"(\w+\s+){1,3}"
        r"(permanently\s+|completely\s+)?(deleted|erased|destroyed|wiped|purged|shredded)\b",
    ),
    (
        "deletion",
        0.8,
        r"\bque\s+(mon|ma|mes|ce|cette|ces|le|la|les)\s+(\w+\s+){1,3}(soi(en)?t|soit\s+bien)\s+"
        r"(supprim|effac|d[ée]truit|d[ée]chiquet|anonymis)",
    ),
    # opt-out (unsubscribe, withdraw consent, object to marketing)
    (
        "opt-out",
        0.95,
        r"\b(unsubscribe|unsub|opt[- ]?out|d[ée]sabonn\w*|d[ée]sinscri\w*|"
        r"d[ée]sinscription|d[ée]sabonnement)\b",
    ),
    ("opt-out", 0.9, r"\b(withdraw|revoke|retract)\w*\s+(my\s+)?consent\b"),
    # the pronoun before the verb: "pouvez-vous m'enlever de votre liste", "me retirer des envois"
    (
        "opt-out",
        0.9,
        r"\bm(e\s+|.)(enlever|retirer|rayer|sortir|d[ée]sinscrire)\b[^.?!\n]{0,40}\b"
        r"(liste|listes|infolettre|envois|sollicitations?|prospection)\b(?!\s+d.attente)",
    ),
    # "pu d'infolettre", "merci, plus de pubs", "je veux plus de textos": at the start of a clause
    # or after a wish, not "je ne reçois plus de promotions" (a complaint: "ne ... plus");
    # under RULE_SURE, so in a longer message the model decides
    (
        "opt-out",
        0.8,
        r"(^|[,;:!?.]\s*|\b(ne\s+|n.)?(veux|voudrais|souhaite|d[ée]sire|aimerais)\s+)(pu|plus)\s+(d.|de\s+)"
        r"(infolettres?|pubs?|publicit[ée]s|promos?|promotions|sollicitations?|textos|sondages|circulaires)\b",
    ),
    (
        "opt-out",
        0.9,
        r"\b(retirer|retire|retrait|r[ée]voquer|r[ée]vocation)\s+(de\s+)?"
        r"(mon|du|le)\s+consentement\b",
    ),
    (
        "opt-out",
        0.9,
        r"\b(stop|quit|cease)\s+(sending|emailing|e-mailing|contacting|calling|texting|"
        r"spamming|mailing)\b",
    ),
    (
        "opt-out",
        0.9,
        r"\b(arr[êe]te[rz]?|cesse[rz]?)\s+(de\s+)?(m.envoyer|me\s+contacter|m.[ée]crire|"
        r"me\s+solliciter|me\s+t[ée]l[ée]phoner|m.appeler|envoyer)\b",
    ),
    (
        "opt-out",
        0.9,
        # "remove me", "my email", "this address" (the one the mail came from)
        r"\b(remove|take)\s+(me|(my|this)\s+(\w+\s+){0,2}?(name|number|e-?mail|address|details))\b"
        r"[^.?!\n]{0,30}?"
        r"\b(off|from)\s+"
        r"(your|the|this|all|any)?\s*"
        r"(mailing|e-?mail|marketing|contact|distribution|call|calling|newsletter|sms|texts?|"
        r"texting|phone|promo|promotional|advertising)?\s*(lists?|mailings?|campaigns?|newsletters?)\b",
    ),
    (
        "opt-out",
        0.9,
        r"\b(enlever|enlevez|enl[èe]ve|retirer|retirez|retire|rayer|rayez|raye|sortir|sortez|sors|"
        r"supprimer|supprimez|supprime|effacer|effacez|efface)[- ]?"
        r"(moi|(mon|cette|ce)\s+(adresse|courriel|nom|num[ée]ro|cellulaire|t[ée]l[ée]phone)|nos\s+noms)\b"
        r"[^.?!\n]{0,40}\b(liste|listes|infolettre|envois|sollicitations?|prospection)\b",
    ),
    (
        "opt-out",
        0.9,
        r"\b(no\s+(more|longer)\s+(wish|want)\s+to\s+receive|don.t\s+want\s+to\s+receive|"
        r"do\s+not\s+want\s+to\s+receive|no\s+more\s+(e-?mails|newsletters|marketing|"
        r"promotions|offers|messages))\b",
    ),
    (
        "opt-out",
        0.9,
        r"\b(ne\s+(veux|souhaite|d[ée]sire)\s+plus\s+(recevoir|[êe]tre\s+(contact|sollicit))|"
        r"ne\s+plus\s+(recevoir|[êe]tre\s+(contact|sollicit)))",
    ),
    ("opt-out", 0.9, r"\b(do\s+not|don.t)\s+(contact|e-?mail|call|text|market\s+to)\s+me\b"),
    (
        "opt-out",
        0.85,
        r"\b(object|objection|refuse)\b[^.?!\n]{0,40}\b(marketing|profiling|prospect\w*|"
        r"advertising|direct\s+mail)",
    ),
    (
        "opt-out",
        0.85,
        r"\b(oppos\w*|opposition|refuse|refusons)\b[^.?!\n]{0,40}\b(prospection|marketing|profilage|"
        r"publicit\w*|sollicitation|d[ée]marchage)",
    ),
    ("opt-out", 0.85, r"^\s*(stop|arr[êe]t|arr[êe]tez|unsubscribe|d[ée]sabonner)\s*[.!]*\s*$"),
    # "remove me", "retirez-moi svp" alone on a line: off the list
    (
        "opt-out",
        0.85,
        r"^\s*((please|pls|plz|svp|s.v.p.)\s+)?(remove\s+me|take\s+me\s+off|"
        r"(retirez|retire|enlevez|enl[èe]ve|sortez|rayez)[- ]+moi)"
        r"(\s*,?\s*(please|pls|plz|svp|s.v.p.|merci|thanks?))?\s*[.!]*\s*$",
    ),
    (
        "opt-out",
        0.8,
        r"\b(infolettre|newsletter|mailing\s+list|liste\s+d.envoi|liste\s+de\s+diffusion)"
        r"\b[^.?!\n]{0,40}\b(stop|plus|no\s+longer|anymore|remove|retir|enlev|arr[êe]t)",
    ),
    # Quebec French drops "ne" and says "pu": "je veux pu recevoir vos courriels"
    (
        "opt-out",
        0.85,
        r"\b(veux|voudrais|souhaite|d[ée]sire|aimerais)\s+(juste\s+|simplement\s+)?(pu|plus)\s+(rien\s+)?"
        r"(recevoir|[êe]tre\s+(contact|sollicit|appel))",
    ),
    (
        "opt-out",
        0.8,
        r"\bne\s+(veux|voudrais|souhaite|d[ée]sire)\s+pas\s+recevoir\s+(vos|les|de|d.|ces)\s*(\w+\s+){0,2}"
        r"(infolettres?|courriels|promotions|publicit|offres|sollicitations|communications|textos|sondages|"
        r"appels|circulaires)",
    ),
    ("opt-out", 0.85, r"\b(never|don.t|do\s+not)\s+want\s+to\s+hear\s+from\s+(you|your)\b"),
    (
        "opt-out",
        0.85,
        r"\bstop\s+(all\s+|the\s+|your\s+|these\s+|those\s+)*(promotional|promo|promos|marketing|"
        r"advertising|newsletters?|spam|texts|txts|sms|e-?mails|calls|phone\s+calls|solicitations?|"
        r"phone\s+solicitations|mailings|mailers|flyers)\b",
    ),
    # more ways to ask for no more mail: "don't send me anything ever again", "fin des envois
    # promotionnels", "arrêtez les textos", "I'd prefer not to get offers", "turn those promo
    # texts off", "I don't want to be contacted by your partners" (a reviewer's invented
    # messages narrowed each: "why do you never send me the receipt?", "I don't want to be
    # called before 9am", "comment arrêter les notifications?" are no opt-out)
    (
        "opt-out",
        0.85,
        r"\b((don't|dont|do\s+not|never(?<!you\snever)(?<!u\snever))\s+send\s+(me|him|her|us|them)\s+"
        r"(anything\s*(([.!]|$)|(else\s+)?(again|ever|any\s*more|by\s+(mail|post)))|any\s*more\b|"
        r"((the|your|any|these|those|ur)\s+)?(\w+\s+)?(flyers|promos?|promotions|offers|newsletters?|ads|marketing|"
        r"mailings|brochures|catalogu?e?s?)|(the|your|any|these|those|ur)\s+(promo\w*|marketing|advertising)\s+e-?mails)|"
        r"(prefer|rather)\s+not\s+(to\s+)?(get|receive)\s+(\w+\s+){0,3}(offers|promos|promotions|newsletters|flyers|"
        r"marketing|ads|(promo\w*|marketing)\s+(e-?mails|texts|calls))|"
        r"(don.?t|do\s+not|no\s+longer)\s+(want|wish)\s+to\s+be\s+(contacted|called|solicited|texted|emailed)"
        r"(\s+(again|any\s*more|ever\s+again))?\s*([.!]|$|\s+by\s+(your|any|you|third)\s*(\w+\s+)?(partners?|sales|"
        r"marketing|affiliates|third[\s-]part\w+|telemarketers?|team)|\s+for\s+(marketing|promo\w*|sales|offers|surveys)))",
    ),
    # named by a noun, it may be asked about ("la fin des promotions du Boxing Day?"): the model decides
    (
        "opt-out",
        0.8,
        r"\b(fin|arr[êe]t)\s+(des|de\s+vos)\s+(envois\s+(promo\w*|publicitaires|commerciaux|marketing)|appels\s+"
        r"(de\s+)?(sollicitation|vente|marketing|promo\w*|t[ée]l[ée]marketing)|courriels|textos|sollicitations|"
        r"infolettres|publicit[ée]s)\b",
    ),
    (
        "opt-out",
        0.85,
        r"\b((arr[êe]te[rz]?|cesse[rz]?|stoppe[rz]?|stop)(?<!comment\sarr[êe]ter)(?<!comment\scesser)(?<!how\sto\sstop)"
        r"\s+(les|vos|tous\s+les|toutes\s+les)\s+(\w+\s+)?(textos|courriels|e?mails|envois\s+(promo\w*|publicitaires|"
        r"commerciaux)|notifs|notifications|pubs|publicit[ée]s|promos|promotions|infolettres?|sollicitations|sms|"
        r"circulaires|appels\s+(de\s+)?(sollicitation|vente|marketing|promo\w*)|appels\s*([.!]|svp|$))|"
        r"(ne\s+(veux|souhaite|d[ée]sire)|veux|souhaite|d[ée]sire)\s+(pas|plus|pu)\s+[êe]tre\s+(contact|sollicit|appel)\w*\b(?!\s+(avant|"
        r"apr[èe]s|entre|le\s+(soir|matin)|au\s+travail|par\s+(un|une)\s+(robot|machine|agence|humain))|\s*,\s*"
        r"(r[ée]pondez|[ée]crivez)))",
    ),
    (
        "opt-out",
        0.8,
        r"\b(turn\s+(those|these|the|your)\s+(\w+\s+)?(promo\w*|marketing|sales|ad)\s+(texts|e-?mails|messages|"
        r"notifications)\s+off|turn\s+off\s+(the|those|these|your)\s+(\w+\s+)?(promo\w*|marketing)\s+(texts|e-?mails|"
        r"notifications|messages)|(sick|tired)\s+of\s+(your|these|all\s+(your|these|the))\s+(\w+\s+)?((newsletters|"
        r"promos|ads|spam|marketing)|(e-?mails|texts|calls|messages)\s*([.!,]|$)))",
    ),
    # consent withheld or withdrawn, for a use of one's data: "I do not consent to my face
    # being scanned", "je ne consens plus à ce que ma voix serve", "je refuse le partage de mes
    # renseignements"; not "I do not consent to the price increase". Under RULE_SURE: a
    # complaint says it too ("I do not consent. Refund me.")
    (
        "opt-out",
        0.8,
        rf"\b((do\s+not|don't|dont|no\s+longer)\s+((give|grant)\s+(you\s+)?(my\s+)?(consent|permission)\s+(to|for)\s+"
        rf"(\w+\s+){{0,3}}?(share|sharing|use|using|sell|selling|publish\w*|post\w*|record\w*|my)|consent)){_NOT_A_BILL}",
    ),
    (
        "opt-out",
        0.8,
        rf"\b((ne\s+(donne|autorise|accepte)|n'(autorise|accepte))\s+pas\s+(mon\s+consentement|le\s+partage|"
        rf"l.utilisation|la\s+vente|que\s+(vous|mes|mon|ma))|(ne\s+(consens|consentons)|consens|consentons)\s+"
        rf"(pas|plus|pu)){_NOT_A_BILL}",
    ),
    (
        "opt-out",
        0.8,
        r"\brefus(e|ons)\s+((le\s+partage|l.utilisation|la\s+communication|la\s+vente|la\s+diffusion)\s+(de\s+|des\s+|"
        r"du\s+|d')\s*(mes|mon|ma|nos|notre|renseignements|donn[ée]es|informations|coordonn[ée]es|photos?|images?|"
        r"enregistrements?)|le\s+partage\s+avec|qu(e\s+vous|'on|e\s+l'on)\s+(utilis|partag|publi|vend|transmett|"
        r"communiqu|diffus|affich)\w*\s+(mes|mon|ma|nos|notre)\b(?!\s+(carte|paiement|mode))|que\s+(mes|mon|ma|nos|"
        r"notre)\s+(\w+\s+){0,3}(soi(en)?t|serve|servent)\s+(utilis|partag|publi|vendu|transmis|communiqu|employ|diffus|"
        r"affich|[àa]\s+des\s+fins)|que\s+(mes|mon|ma)\s+(photos?|images?|visage|nom|voix)\s+(apparaiss\w*|figur\w*))",
    ),
    # "do not sell or share my personal information" (CCPA), "ne vendez pas mes données"
    (
        "opt-out",
        0.85,
        r"\b(do\s+not|don.t|stop)\s+(sell|share|selling|sharing)(\s+or\s+(sell|share|selling|sharing))?\s+(my|our)\b",
    ),
    ("opt-out", 0.85, r"\bne\s+(vendez|partagez|communiquez|transmettez)\s+pas\s+(mes|mon|ma|nos)\b"),
    (
        "opt-out",
        0.85,
        r"\b(don.t|do\s+not|no\s+longer)\s+want\s+(your|any|any\s+more|more|these|those)\s+(ads|advertising|"
        r"e-?mails|newsletters?|offers|promotions|promos|marketing|texts|calls|flyers)\b",
    ),
    (
        "opt-out",
        0.85,
        r"\bne\s+veux\s+plus\s+(de\s+|recevoir\s+)?(vos|ces|les|de)\s+(pubs?|publicit[ée]s|offres|courriels|"
        r"infolettres?|textos|appels|circulaires|promotions|sondages)\b",
    ),
    (
        "opt-out",
        0.85,
        r"\bne\s+plus\s+(m.(envoyer|[ée]crire|appeler|contacter|solliciter|texter)|"
        r"me\s+(contacter|solliciter|t[ée]l[ée]phoner|texter|relancer|[ée]crire))\b",
    ),
    (
        "opt-out",
        0.85,
        r"\b(be|get|being)\s+(removed|taken\s+off|unsubscribed)\s+(from|off)\s+(your|the|this|all|any|every)\s+"
        r"(mailing|e-?mail|marketing|contact|distribution|call|calling|newsletter|sms|texts?|texting|"
        r"phone|promo|promotional|advertising)\s+(lists?|mailings?)\b",
    ),
    # "la suppression définitive de l'ensemble des données me concernant": of the writer's data
    # only ("de l'ensemble des données de la plateforme" is a question about a migration)
    (
        "deletion",
        0.85,
        r"\b(suppression|effacement|destruction|anonymisation)\s+(compl[èe]te\s+|d[ée]finitive\s+|totale\s+)?"
        r"de\s+l.ensemble\s+(des|de\s+mes)\s+(donn[ée]es|renseignements|informations)\s+(personnelles\s+|"
        r"[àa]\s+caract[èe]re\s+personnel\s+)?(me\s+concernant|qui\s+me\s+concernent|(que\s+vous\s+(d[ée]tenez|"
        r"avez|conservez)\s+)?(sur\s+moi|[àa]\s+mon\s+(sujet|nom|[ée]gard)))",
    ),
    # "je demande à ne plus figurer dans vos fichiers", "I no longer wish to appear in your
    # database": out of the files is an erasure, off a list (_OFF_A_LIST) an opt-out. Under
    # RULE_SURE: "comment faire pour ne plus figurer dans vos fichiers?" may only ask how.
    (
        "deletion",
        0.8,
        r"\b(ne\s+(plus|pas)|(ne\s+|n.)(veux|voudrais|souhaite|souhaitons|d[ée]sire)\s+(pu|plus|pas)|"
        r"(veux|voudrais|souhaite|souhaitons|d[ée]sire)\s+(pu|plus|pas))\s+"
        r"(figurer|appara[îi]tre|[êe]tre\s+(inscrite?s?|enregistr[ée]e?s?|r[ée]pertori[ée]e?s?|fich[ée]e?s?|"
        r"conserv[ée]e?s?))\s+(dans|sur)\s+(vos|votre|aucun|aucune|un\s+de\s+vos|l.un\s+de\s+vos)\s+(fichiers?|"
        rf"bases?|dossiers|registres?|syst[èe]mes)\b(?!\s+(comme|en\s+tant\s+que)\b){_NOT_FOR_MARKETING}",
    ),
    (
        "deletion",
        0.8,
        r"\b(no\s+longer|(do\s+not|don.t)\s+(want|wish))\s+(want\s+|wish\s+)?(to\s+)?(appear|be\s+(listed|"
        r"stored|kept|held|included|registered))\s+(in|on)\s+(your|any\s+of\s+your|any)\s+(database|databases|"
        rf"records|files|systems|register|registers)\b(?!\s+as\b){_NOT_FOR_MARKETING}",
    ),
    (
        "opt-out",
        0.8,
        r"\b(demande|demandons|exige|exigeons|sollicite|proc[ée]d(er|ez|ions)\s+[àa]|request|requesting|ask\s+for|"
        r"asking\s+for|proceed\s+with|inclut(\s+[ée]galement)?|includes?(\s+also)?)\s+(le\s+|la\s+|au\s+|l.|"
        r"the\s+|also\s+the\s+)?(retrait|radiation|d[ée]sinscription|suppression|removal)\s+(de\s+|of\s+)?"
        r"(mon\s+(adresse(\s+(courriel|e-?mail|[ée]lectronique))?|nom|courriel|num[ée]ro(\s+de\s+t[ée]l[ée]phone)?)|"
        r"mes\s+(coordonn[ée]es|informations|renseignements|donn[ée]es)|my\s+(e-?mail(\s+address)?|address|name|"
        r"number|details|information|data))\s+(de|des|du|from)\s+((toutes?|all)\s+(les\s+|vos\s+|of\s+)?(your\s+|"
        r"the\s+)?|votre\s+|vos\s+|la\s+|les\s+|the\s+|your\s+|any\s+)?((listes?|fichiers?)\s+(de\s+diffusion|d.envoi|"
        r"de\s+(prospection|marketing|distribution|promotion|sollicitation)|marketing|promotionnels?|"
        r"publicitaires?)|(mailing|marketing|distribution|promotional|advertising)\s+(lists?|files?))\b",
    ),
    (
        "opt-out",
        0.85,
        r"\b[êe]tre\s+(retir[ée]e?s?|enlev[ée]e?s?|ray[ée]e?s?|d[ée]sinscrite?s?)\s+de\s+(votre|vos|la|les|l.)\s*"
        r"(infolettre|envois|listes?\s+(d.envoi|de\s+diffusion|de\s+distribution|de\s+courriels|"
        r"de\s+marketing|de\s+promotion|de\s+prospection|de\s+sollicitation|t[ée]l[ée]phonique))",
    ),
]


# The body is lower-cased once and the patterns, all written in lower case, are compiled
# without re.I: Python's case-insensitive matching scans about twice as slowly, and these
# scans are half of the classification time.
def _finder(compiled: re.Pattern[str]) -> re.Pattern[str] | None:
    """A pattern that opens with \\b cannot use the regex engine's quick skip to the possible
    first letters, so one that opens with "\\b(" is searched without it and the word boundary
    is checked by hand (every alternative there starts with a letter; a test checks this).
    Same matches, a third less scanning. None for other patterns."""
    return re.compile(compiled.pattern[2:], re.M) if compiled.pattern.startswith(r"\b(") else None


def _matches(pattern: re.Pattern[str], finder: re.Pattern[str] | None, body: str) -> Iterator[re.Match[str]]:
    """pattern.finditer(body), faster with the pattern's *finder* (see _finder)."""
    if finder is None:
        yield from pattern.finditer(body)
        return
    at = 0
    while (found := finder.search(body, at)) is not None:
        start = found.start()
        before = body[start - 1] if start else " "
        if before.isalnum() or before == "_":  # inside a word: no boundary, look further on
            at = start + 1
            continue
        yield found
        at = found.end()  # never an empty match: every cue starts with a letter


# Rule bodies are normalised (normalise) before they are read: the only white space left
# in them is a single space within a line, and newlines between lines.
_BODY_SPACES = (" ", "\n")


def _leads(items: Any, start: bool = True, skip_optional: bool = True) -> tuple[set[str] | None, bool]:
    """The literal text every match of the parsed pattern *items* holds from where it starts,
    or past what takes no room (\\b, ^, a look-behind) or may be absent at its start
    ("(personal\\s+)?data"): one string per way in ("supprimer", "détruire", "detruire", ...),
    or None when a way in starts with something else (a repeat, a wide class); and whether
    those strings are the whole of every match, so that what follows the group can be added
    to them. A \\s ends a lead with a space or a newline; an optional letter makes two ("e-?mail").
    *start*: whether *items* open the match, with no lead before them to add theirs to (only
    then may an optional part be passed over, unless *skip_optional* is false)."""
    outs = {""}
    for op, value in items:
        if op is _parser.LITERAL:
            outs = {out + chr(value) for out in outs}
        elif op is _parser.AT or op is _parser.ASSERT or op is _parser.ASSERT_NOT:
            continue  # zero width (\b, ^, a look-behind): what follows still follows
        elif (
            op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT)
            and value[0] == 0
            and start
            and skip_optional
            and outs == {""}
        ):
            continue  # a leading optional part ("(personal\s+)?data"): every match holds what follows
        elif op is _parser.MAX_REPEAT and value[:2] == (0, 1) and (maybe := _leads(value[2].data, False))[1]:
            outs = {out + way for out in outs for way in ("", *(maybe[0] or ()))}  # "e-?mail"
        elif op is _parser.IN and value == [(_parser.CATEGORY, _parser.CATEGORY_SPACE)]:
            return {out + space for out in outs for space in _BODY_SPACES}, False  # \s
        elif op is _parser.MAX_REPEAT and value[0] >= 1 and _leads(value[2].data)[0] == set(_BODY_SPACES):
            return {out + space for out in outs for space in _BODY_SPACES}, False  # \s+: a blank line too
        elif op is _parser.IN and len(value) <= 3 and all(o is _parser.LITERAL for o, _ in value):
            outs = {out + chr(v) for out in outs for _, v in value}  # [ée], [àa]
        elif op is _parser.SUBPATTERN or op is _parser.BRANCH:
            ways = [value[3].data] if op is _parser.SUBPATTERN else [branch.data for branch in value[1]]
            found = [_leads(way, start and outs == {""}, skip_optional) for way in ways]
            if any(leads is None for leads, _ in found):
                break
            outs = {out + lead for out in outs for leads, _ in found for lead in leads or ()}
            if not all(whole for _, whole in found):
                return (None if "" in outs else outs), False  # what follows is not known to follow
        else:
            break
        if len(outs) > 64:
            break
    else:
        return (None if "" in outs else outs), True
    return (None if "" in outs else outs), False


def _shortest(leads: set[str] | None) -> int:
    return min(map(len, leads)) if leads else 0


def _inner_leads(items: Any) -> set[str] | None:
    """Literal text every match of the parsed pattern *items* holds somewhere, not only where
    it starts: the leads (_leads) of a run of the pattern's own parts, or of a part that every
    match goes through (a group, each way of an alternation, a repeat done at least once),
    whichever's shortest string is longest; None when no part has leads of 3 letters or more."""
    best: set[str] | None = None
    for at, (op, value) in enumerate(items):
        found = [_leads(items[at:])[0]]
        if op is _parser.SUBPATTERN:
            found.append(_inner_leads(value[3].data))
        elif op is _parser.BRANCH:
            ways = [_inner_leads(branch.data) for branch in value[1]]
            found.append(set().union(*ways) if all(ways) else None)  # type: ignore[arg-type]
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT) and value[0] >= 1:
            found.append(_inner_leads(value[2].data))
        for leads in found:
            if _shortest(leads) >= 3 and _shortest(leads) > _shortest(best):
                best = leads
    return best


def _starts_at_lead(pattern: str) -> bool:
    """Whether every match of *pattern* starts where one of its leads (_leads_of) does: the
    leads open every match, past nothing but what takes no room (\\b, ^, a look-behind). Such
    a pattern is matched only where its leads occur (_anchored), not scanned for."""
    try:
        items = _parser.parse(pattern).data
        leads = _leads(items, skip_optional=False)[0]
    except Exception:  # the stdlib's pattern reader is not a public API: never fail on it
        return False
    return leads is not None and tuple(sorted(leads)) == _leads_of(pattern)


def _leads_of(pattern: str) -> tuple[str, ...] | None:
    """A cue is only scanned for when one of its leads occurs in the body: a substring test is
    several times cheaper than a regex scan. The text every match starts with, or else (a
    pattern that opens with a short word, a wide class, an alternation with "^") text every
    match holds further on (_inner_leads). None (always scan) when no lead is long enough to
    rule anything out, or when the pattern cannot be read."""
    try:
        items = _parser.parse(pattern).data
        leads, _ = _leads(items)
        if _shortest(leads) < 3:
            leads = _inner_leads(items)
    except Exception:  # the stdlib's pattern reader is not a public API: never fail on it
        return None
    return tuple(sorted(leads)) if leads and _shortest(leads) >= 3 else None


# The two "<field> is wrong" cues start with words found in most messages ("name", "data"),
# which makes them the slowest to scan; they are only tried when what they end with occurs.
_WRONG = re.compile(
    r"\b(is|are|was|est|sont)\s+(wrong|incorrect|inaccurate|out\s+of\s+date|outdated|misspelled|"
    r"not\s+up|erron|inexact|incorrect|faus|pas\s+[àa]\s+jour|p[ée]rim|mal\s+orthographi|"
    r"mal\s+[ée]crit|mal\s+[ée]pel|spelled\s+wrong|spelt\s+wrong)",
)


class _Cue(NamedTuple):
    name: str  # "deletion#1a2b3c4d": survives adding or reordering the others
    label: str
    weight: float
    pattern: re.Pattern[str]
    finder: re.Pattern[str] | None  # see _finder
    leads: tuple[str, ...] | None  # see _leads_of; None: always scanned
    needs_wrong: bool  # only tried when _WRONG occurs too
    anchored: bool  # see _starts_at_lead: matched only where its leads occur


def _cue(label: str, weight: float, pattern: str) -> _Cue:
    compiled = re.compile(pattern, re.M)
    return _Cue(
        name=f"{label}#{zlib.crc32(pattern.encode()):08x}",
        label=label,
        weight=weight,
        pattern=compiled,
        finder=_finder(compiled),
        leads=_leads_of(pattern),
        needs_wrong=pattern.startswith(r"\b(address|"),
        anchored=_starts_at_lead(pattern),
    )


_CUE_TABLE = [_cue(*cue) for cue in _CUES]


def _lead_finder(
    leads: list[tuple[str, ...] | None], anchored: list[bool]
) -> tuple[ahocorasick.Automaton, frozenset[int]]:
    """One Aho-Corasick automaton over the *leads* of every pattern, each lead mapped to its
    length, the patterns (by their place in *leads*) it lets in, and those of them whose
    matches start where it does (*anchored*); and the patterns that have no leads and are
    always scanned. One pass over the body then tells which cues may match, and where the
    anchored ones may start: testing each lead with `in` took a fifth of the classification
    time, and scanning the body for each cue let in a seventh."""
    patterns_of: dict[str, set[int]] = {}
    for index, ways in enumerate(leads):
        for lead in ways or ():
            patterns_of.setdefault(lead, set()).add(index)
    finder = ahocorasick.Automaton()
    for lead, indexes in patterns_of.items():
        finder.add_word(lead, (len(lead), frozenset(indexes), frozenset(i for i in indexes if anchored[i])))
    finder.make_automaton()
    return finder, frozenset(index for index, ways in enumerate(leads) if ways is None)


def _anchored(pattern: re.Pattern[str], body: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """pattern.finditer(body), for a pattern whose every match starts at one of *starts* (the
    places where its leads occur, in order): the leftmost match is the first of them to
    match, and the next is looked for from where it ends."""
    end = 0
    for start in starts:
        if start >= end and (found := pattern.match(body, start)) is not None:
            yield found
            end = found.end()


_WRONG_FINDER = _finder(_WRONG)


# "sans délai", "sans tarder", "without undue delay", "sans frais": how soon or at what cost,
# not a negation of the request that follows ("procéder sans délai à l'effacement de mes
# données", the law's own words).
_NO_DELAY_FR = (
    r"(?!\s+((aucun|autre|plus\s+de)\s+)?(d[ée]lai|tarder|attendre|plus\s+(tarder|attendre)|retard|frais|"
    r"exception|faute)\b)"
)
_NO_DELAY_EN = r"(?!\s+((undue|further|any|unnecessary)\s+)?(delay|charge|cost|fail|exception|ado)\b)"
# A negation shortly before a cue in the same clause cancels it.
_NEGATION = re.compile(
    r"(\b(don.t|do\s+not|does\s+not|doesn.t|didn.t|(?<!-)not(?!-)|never|nor|(?<!d[ée]lai\s)(?<!frais\s)ni|no\s+need\s+to|no\s+reason\s+to|please\s+don.t|"
    rf"without{_NO_DELAY_EN}|rather\s+than|instead\s+of|pas\s+besoin\s+de|inutile\s+de|sans{_NO_DELAY_FR}|au\s+lieu\s+de|"
    r"plut[ôo]t\s+que|ne\s+(pas|jamais)|(veux|voulais|voudrais)\s+pas|n.(allez|effacez|supprimez)\s+pas)\b|\bne\s+(\w+\s+){1,2}pas\b|"
    r"\bn['’]\w+\s+pas\b|\bne\s+pas\b|"
    # thanks for what is done: "merci de m'avoir désabonné", "thanks for having removed me"
    r"\b(merci|thanks?|thank\s+you)\s+(de\s+m.|d.|pour\s+m.|pour\s+|for\s+)(avoir|having)\b)[^.;!?]{0,25}$",
)
# A request denied that governs a list: "I am not asking you to cancel my subscription or
# delete my data", "je ne demande pas la fermeture de mon compte ou la suppression de mes
# données". Only a request denied ("I won't need your reminders or the newsletter anymore"
# asks), and not past an "and", a "but" or a "please": "I don't want this app and I want you
# to close my account or delete my data" asks.
_NOT_THIS_OR = r"(?:(?!\b(and|but|so|please|just|only|instead|rather|et|mais|donc|svp|plut[ôo]t)\b)[^.;!?,])"
_NEGATED_LIST = re.compile(
    r"((\bnot|n't|\bnever)\s+(asking|requesting|request|ask|want|wanting|wish|wishing|looking\s+to)|"
    r"\bne\s+(vous\s+)?(demande|demandons|veux|voulons|souhaite|souhaitons|d[ée]sire|sollicite)\s+(pas|nullement))\b"
    rf"{_NOT_THIS_OR}{{0,60}}\b(or|ou)\s+{_NOT_THIS_OR}{{0,25}}$"
)
# A cue that is itself a prohibition ("do not sell my data", "ne partagez pas mes
# renseignements") is not cancelled by another one before it: "ne vendez pas et ne partagez
# pas mes informations" forbids both.
_PROHIBITS = re.compile(r"(do\s+not|don.t|ne\s|n['’])")
# A request the sender only supposes, to ask what would follow: "If I wanted to delete my
# account, would I lose my points?", "Si je vous demande de corriger mon dossier, quel est
# le délai?". Not "if I could get a copy" nor "si vous pouviez", which ask politely.
_SUPPOSED = re.compile(
    r"\b(if|si|au\s+cas\s+o[ùu])\s+(i|je|j')\s*(\w+\s+){0,2}?(ask|asked|request|requested|want|wanted|"
    r"were\s+to|decide|decided|choose|chose|demande|demandais|voulais|veux|d[ée]cide|d[ée]cidais|"
    r"voudrais|faisais|fais|souhaite|souhaitais)\b[^.;!?]{0,40}$"
    # or the cue itself is what is supposed: "if I unsubscribe, will I lose my points?",
    # "si je me désabonne, est-ce que..."
    r"|\b(if|si)\s+(i|je|j')\s*(me\s+|m')?$"
)
# What may come between "droit" and the cue in _STATED: the names of rights ("droit d'accès et de")
_RIGHTS_NAMED = (
    r"(\s*(,|\b(et|ou|and|or|de|d'|[àa]|la|l'|le|au|aux|to|of|the|d.acc[eè]s|acc[eè]s|access|"
    r"rectification|rectify|correction|correct|suppression|effacement|erasure|erase|oubli|"
    r"portabilit[ée]|portability|opposition|object|retrait)\b))*\s*"
)
# A right the law gives, named to say so and not yet asked for: "la loi me donne un droit
# d'accès et de rectification des informations me concernant. À ce titre, je demande à ne
# plus figurer dans votre fichier", "the Act grants me the right to access". The request, if
# any, is in what follows ("j'exerce mon droit d'accès" is not a statement of it).
_STATED = re.compile(
    r"\b((me|nous)\s+(donne|donnent|conf[èe]re|conf[èe]rent|accorde|accordent|reconna[îi]t|reconnaissent|"
    rf"garantit|garantissent)\s+(un|le|les|des)\s+(droits?\b{_RIGHTS_NAMED})?|"
    rf"(gives?|grants?|affords?|guarantees?)\s+(me|us)\s+(the|a)\s+rights?\s+(to|of)\b{_RIGHTS_NAMED}|"
    # "the Act gives me the right to access": the cue starts at "right"; not "please give me the"
    r"(gives|grants|affords|guarantees)\s+(me|us)\s+the\s+)$"
)
# "What data does your app collect?", "quelles données conservez-vous?": a question about
# the policy asks for nothing (the issue's "none"). An access cue that asks "what" or
# "quel" is a request when its sentence says whose data (mine, my son's: "sur moi", "about
# me", "mes", "my"), speaks of what already happened ("did you collect", "avez-vous
# recueillies", "ont été transmises") or of what is held ("what do you have", "quelles
# données détenez-vous"), or asks for it to be sent; otherwise it is a question about what
# the organisation does in general.
_WHAT = r"(what|which|quels?|quelles?)"
_ASKS_WHAT = re.compile(rf"\b{_WHAT}\b")
_ABOUT_SOMEONE = re.compile(
    r"\b("
    # whose: "sur moi", "me concernant", "à son sujet", "about me", "mes", "my"
    r"sur\s+(moi|lui|elle|eux|nous|son|sa|ses|leurs?)|(me|nous|le|la|les|l.)\s*concern\w*|"
    r"([àa]|dans)\s+(son|sa|leur)|pour\s+(me|m.)|"
    r"(about|on|of|from|for|regarding|concerning|under)\s+(me|him|her|them|us|my|our|his|their)|"
    r"mes|mon|ma|nos|notre|my|our|mine|"
    # what already happened: "did you collect", "avez-vous recueillies", "ont été transmises"
    r"did|has|had|have\s+you|you.ve|was|were|been|"
    r"(a|ont|avait|avaient)(-t-il|-t-elle|-ils|-elles)?\s+(\w+\s+)?"
    r"(\w+(é|i|u)(e|s|es)?|pris|transmis|fait|"
    r"(recueilli|fourni|re[çc]u|collecte|partage|utilise|envoye|donne|vendu|communique)\w*)|"
    r"(you|they|it|we)\s+(\w+ed|gave|got|took|sold|sent|kept|held|had|made|found|told)|"
    # what is held, or to be sent
    r"d[ée]tenez|d[ée]tient|poss[ée]dez|avez|aviez|hold|holding|have|"
    r"send|give|email|envoyez|transmettez|fournissez|donnez|envoyer|transmettre|fournir"
    r")\b"
)


# Access to a system or a place, not to one's data: "VPN access request", "demande d'accès au
# portail fournisseur", "access request for the shared drive", "building access". An access
# cue whose words say "access" is not read as a privacy request when such a thing follows
# them, or comes just before.
_SYSTEMS = (
    r"(vpn|portal|portail|parking|stationnement|garage|building|b[âa]timent|immeuble|locaux|premises|badge|"
    r"key\s*card|door|porte|server|serveur|network|r[ée]seau|drive|sharepoint|teams|slack|wi-?fi|intranet|extranet|"
    r"system|syst[èe]me|platform|plateforme|app|application|software|logiciel|tool|outil|database|room|salle|gym|"
    r"locker|casier|channel|canal|folder|r[ée]pertoire|repo\w*|site|website|site\s+web|espace\s+client|"
    r"warehouse|entrep[ôo]t|console|dashboard|tableau\s+de\s+bord|crm|erp|calendar|calendrier)\b"
)
# "access" said as a cue's word, not as the right's name ("droit d'accès – salle d'escalade",
# "right of access", "subject access request")
_ACCESS_WORD = re.compile(r"^(?!.*\b(droit|right|subject)\b).*\bacc[eè]s", re.S)
_SYSTEM_AFTER = re.compile(
    r"\s*([-–:]\s*)?((to|for|au|aux|[àa]|de|du|des|d.)\s*)?"
    r"((the|a|an|la|le|les|l.|my|mon|ma|mes|our|notre|nos|your|votre|vos|this|ce|cet|cette)\s*)?"
    r"((new|shared|remote|guest|admin|employee|staff|client|supplier|vendor|fournisseurs?|partag[ée]e?|"
    r"nouvel(le)?)\s+)?" + _SYSTEMS
)
_SYSTEM_BEFORE = re.compile(_SYSTEMS + r"\s+$")


def _enters_a_system(body: str, match: re.Match[str]) -> bool:
    """Whether an access cue's "access" is to a system or a place (_SYSTEMS)."""
    return _ACCESS_WORD.search(match.group(0)) is not None and bool(
        _SYSTEM_AFTER.match(body, match.end())
        or _SYSTEM_BEFORE.search(body, max(0, match.start() - 20), match.start())
    )


def _is_policy_question(body: str, match: re.Match[str], clause_start: int) -> bool:
    """Whether an access cue asks what the organisation does in general (above), read from
    its clause to the end of its sentence: "before I open my account, what data do you
    collect?" asks about the policy."""
    if not _ASKS_WHAT.search(match.group(0)):
        return False
    end = _SENTENCE_BREAK.search(body, match.end())
    return _ABOUT_SOMEONE.search(body, clause_start, len(body) if end is None else end.start()) is None


# A negation reaches no further than its clause: "don't delete it, fix it" asks for a fix.
_CLAUSE_BREAK = re.compile(r"[.;:!?,\n]|\b(but|just|only|mais|seulement|juste|plut[ôo]t)\b")

# Where a clause opens: at the start, or just after a punctuation mark (and its space).
_CLAUSE_OPENS = r"(?:(?<=^)|(?<=[.,;:!?\n])|(?<=[.,;:!?\n] ))"
# What may come before a pause the writer asks for, at the start of its clause ("actually,
# could you hold off", "en fait, veuillez suspendre ma demande", "wait, hold off").
_PAUSE_SOFTENERS = (
    r"(please|actually|ok|okay|just|so|then|and|but|wait|hmm|can\s+you|could\s+you|would\s+you|"
    r"veuillez|pouvez-vous|pourriez-vous|svp|merci\s+de|et|mais|en\s+fait|finalement)"
)
# Retractions that cancel a request made earlier in the thread, or in the same message
# ("Please ignore this message, it was meant for another company").
_RETRACTION = re.compile(
    r"\b(never\s*mind|nevermind|"
    # "forget my deletion request", not "please don't forget my request"
    r"(?<!n't\s)(?<!not\s)forget(\s+about)?\s+(it|my\s+(\w+\s+){0,2}(request|e-?mail|message))|"
    # "keep it" takes a request back when it opens its clause ("never mind, keep it",
    # "ok just keep everything"), not in "how long you keep it" or "why do you keep my account",
    # nor "delete that card, keep everything else", which keeps only the rest
    r"please\s+keep\s+(it|my|everything(?!\s+else))|"
    + _CLAUSE_OPENS
    + r"((just|actually|ok|okay|no|oh|so|then|you\s+can)\s+){0,2}"
    r"keep\s+(it|my\s+account|everything(?!\s+else))|"
    # "scratch that", "cancel that" where they open a clause ("actually no, scratch that
    # request"), not "a scratch that was already there"
     + _CLAUSE_OPENS + r"((just|actually|ok|okay|no|oh|so|wait)\s+){0,2}"
    r"(scratch|cancel)\s+that(?=\s*([.,;:!)\n\u2014-]|$)|\s+(request|e-?mail|message))|"
    r"(cancel|withdraw|disregard|ignore|scratch)\s+(my|the)\s+(\w+\s+){0,2}(request|demand)|"
    r"please\s+disregard\s+my\s+(last\s+|previous\s+|earlier\s+)?(e-?mail|message)|"
    r"(disregard|ignore)\s+(this|that|it)(\s+(e-?mail|message|note|request))?(?=\s*([.,;:!)\n]|$))|"
    r"(disregard|ignore)\s+(this|my\s+(last|previous|earlier))\s+(e-?mail|message|note)|"
    r"(disregard|ignore)\s+my\s+((last|previous|earlier)\s+)?(reminder|follow-?up)|"
    r"(disregard|ignore)\s+(the|my)\s+(e-?mail|message|note|request)\s+i\s+sent|"
    r"(it|this|this\s+(e-?mail|message))\s+was\s+(meant|intended)\s+for\s+(another|a\s+different)|"
    r"i\s+sent\s+(it|this|my\s+\w+(\s+\w+)?)\s+to\s+the\s+wrong|"
    r"i\s+changed\s+my\s+mind|"
    # a pause the writer asks for, opening a clause ("please hold off on my deletion request",
    # "actually, hold off for now", "put my request on hold", "veuillez suspendre ma demande",
    # "pouvez-vous mettre ma demande en attente"), not "why did you hold off on the deletion?"
    # nor "votre agent a voulu suspendre ma demande"
    + _CLAUSE_OPENS
    + rf"({_PAUSE_SOFTENERS}\s+){{0,2}}(hold\s+off(\s+on\s+((my|the|this|that)\s+(\w+\s+){{0,2}}"
    r"(request|demand|deletion|erasure|closure|closing)|it|that|this|processing)|"
    r"(?=\s*([.,;:!)\n]|$|for\s+(now|a\s+(few|couple|while)|the\s+moment)|until|till)))|"
    r"put\s+(it|that|(my|the|this|that)\s+(\w+\s+){0,2}request)\s+on\s+hold|"
    r"(suspendre|suspendez)\s+ma\s+demande|suspendez-la|"
    r"(mettre|mettez)\s+(en\s+(attente|suspens|pause)\s+ma\s+demande|"
    r"ma\s+demande(\s+(de|d.)\s*\w+)?\s+(en\s+(attente|suspens|pause)|sur\s+pause)))|"
    r"laissez\s+(tomber|faire)|(pouvez|pourriez)\s+laisser\s+tomber|"
    r"oubliez\s+(ma\s+(demande|requ[êe]te)|mon\s+(message|courriel|mail|texto|dernier|pr[ée]c[ée]dent)|"
    r"ce\s+(message|courriel)|cela|ça|ca\b)|"
    r"ignorez\s+(ce|mon|le)\s+(dernier\s+|pr[ée]c[ée]dent\s+)?(message|courriel|mail|texto)|"
    r"ne\s+tenez\s+pas\s+compte\s+de\s+(ce|mon|ma|le)\s+(dernier\s+|pr[ée]c[ée]dente?\s+)?"
    r"(message|courriel|mail|demande)|"
    r"(il|elle|ce\s+(message|courriel))\s+(était|est)\s+destin[ée]e?\s+[àa]\s+(une?\s+)?autre|"
    r"finalement[^.!?\n]{0,30}(gardez|conservez|ne\s+(supprimez|effacez|fermez|touchez|faites))|"
    # "Ne faites rien, s'il vous plaît" opening its clause, not "si vous ne faites rien"
     + _CLAUSE_OPENS + r"ne\s+faites\s+rien(?=\s*([.,;:!)\n]|$|s.il\s+vous|svp|merci))|"
    r"annule[rz]?\s+ma\s+demande|retire[rz]?\s+ma\s+demande|j.ai\s+chang[ée]\s+d.avis)\b",
)
# The cues' leads and the retractions' (_RETRACTING, after the cues), found in one pass.
_RETRACTING = len(_CUE_TABLE)
_LEAD_FINDER, _ALWAYS_SCANNED = _lead_finder(
    [*(cue.leads for cue in _CUE_TABLE), _leads_of(_RETRACTION.pattern)],
    [*(cue.anchored for cue in _CUE_TABLE), False],
)

# A retraction that keeps something ("keep my account", "finalement, gardez-le") takes back
# only a deletion, and one that names the request it withdraws ("disregard my deletion
# request", "oubliez ma demande de suppression") only that right: "Keep my account open.
# But stop the emails" still opts out.
_KEEPS = re.compile(r"\b(keep|gardez|conservez|ne\s+(supprimez|effacez|fermez))\b")
_NAMES_A_REQUEST = re.compile(r"(request|demand|demande|requ[êe]te)$")
_NAMED = {
    "access": re.compile(r"\b(access|acc[èe]s|copy|copie)"),
    "correction": re.compile(r"\b(correct|rectif)"),
    "deletion": re.compile(r"\b(delet|eras|suppression|effacement|closure|closing|fermeture)"),
    "opt-out": re.compile(r"\b(unsubscri|d[ée]sabonnement|d[ée]sinscription|opt.?out)"),
}
# "If you have already done it, please disregard this message" keeps the request.
_CONDITION = re.compile(r"\b(if|unless|in\s+case|si|s'(il|ils|elle)\s+(est|a|ont|sont)\b|sauf|au\s+cas)\b")
_SENTENCE_BREAK = re.compile(r"[.!?\n]")
# A question about what the organisation does that names no one whose data it could be
# ("Are reminders sent by an outside company, and what do they get?", "les consultations
# vidéo sont-elles enregistrées?") asks for nothing, though the model, reading "recordings"
# or "dossier", may hear access in it. So access that rests on the model alone, in a
# message that asks a question, is given only when the message names a person: its writer
# (I, me, my, je, mon, nous...), someone else by a pronoun or possessive (his file, son
# dossier), or the writer's contact details ("how did you get this number?"). A reply
# leans on its thread for that and is left to the model.
_NAMES_A_PERSON = re.compile(
    r"(?<!\w)([mj]'|(i|je|me|moi|mon|ma|mes|mien|mienne|miens|miennes|nous|nos|notre|nôtre|"
    # "son", not "le son", the sound
    r"my|mine|myself|our|us|ours|(?<!le )(?<!du )(?<!au )(?<!un )son|sa|ses|lui|his|her|him)(?!\w))|"
    r"\b(this|ce|cette)\s+(number|phone|address|e-?mail|num[ée]ro|adresse|courriel)\b|"
    # or, with no pronoun, data held about someone: "what you've got on file", "ce que vous
    # avez dans vos dossiers", "under the name Jean Tremblay", "quels renseignements détenez-vous"
    r"\bon\s+file\b|\bdans\s+vos\s+(dossiers|fichiers|registres|syst[èe]mes)\b|"
    r"\b(under|sous)\s+(the\s+|le\s+)?(name|nom)\b|\bau\s+nom\s+d|"
    r"\b(what|ce\s+que|ce\s+qu')\s*(you|vous)('ve)?\s+(have|got|hold|avez|d[ée]tenez|poss[ée]dez)\b|"
    r"\b(info\w*|data|details|records|renseignements|donn[ée]es)\s+((do|that|which|que|qu')\s*)?"
    r"(you|vous)('ve)?\s+(have|got|hold|avez|d[ée]tenez|poss[ée]dez)\b|"
    r"\b(info\w*|data|details|records|renseignements|donn[ée]es)\s+(avez|d[ée]tenez|poss[ée]dez)-vous\b|"
    r"\b(you|vous)\s+((still|encore|toujours)\s+)?(have|hold|avez|d[ée]tenez|poss[ée]dez)\s+((still|encore|toujours)\s+)?"
    r"(any|some|des|de|d')\s*(\w+\s+)?(info\w*|data|details|records|files?|renseignements|donn[ée]es|dossiers?)\b|"
    # or one file, one account: "ce qui figure au dossier", "what's on record"
    r"\b(au|du)\s+(dossier|compte)\b|\b(in|on)\s+the\s+(file|account|record)\b|\bon\s+record\b|"
    # or by an account or file number, an address or a user name: "account #44812", "@maria.h"
    r"\b(compte|dossier|client|account|file|member|membre|card|carte|profil|profile|r[ée]f[ée]rence|reference|"
    r"no|n[o°º]|#)\s*[#:.]?\s*\d|[\w.+-]+@[\w-]+\.\w+|(?<!\w)@[\w.]+|\busername\b|nom\s+d.utilisateur"
)
# The writer as someone who has not signed up yet, of whom nothing is held: "what data is
# collected when I sign up?", "avant de m'inscrire", "quand je crée un compte"
_NOT_YET = re.compile(
    r"\b((when|if|before|once)\s+i\s+(sign\s+up|register|create|join|subscribe|download|install|open)|"
    r"(quand|si|lorsque|avant\s+que)\s+(je\s+|j')(m.inscri\w*|cr[ée]e|ouvre|t[ée]l[ée]charge|installe|m.abonne)|"
    r"avant\s+de\s+(m.inscrire|cr[ée]er|m.abonner|t[ée]l[ée]charger|installer|ouvrir))\b"
)
# People in general, not the writer: "vos clients", "un nouveau membre", "your users", "quand
# on crée un compte", "when someone signs up". Not the organisation's staff ("what your
# employees accessed on my account"), nor "quand on a appelé" (Quebec's "on" for "we").
_PEOPLE = (
    r"\b((vos|les|des|aux|nos|ses|leurs|your|the|their|its|our)\s+(nouveaux\s+|new\s+)?(clients|clientes|"
    r"utilisateurs|utilisatrices|usagers|membres|abonn[ée]s|patients|visiteurs|[ée]l[èe]ves|customers|users|"
    r"members|subscribers|visitors|students)(?!\w)|(la|votre|your)\s+client[èe]le|(un|une|a|an|any|each|every|"
    r"chaque|tout|toute|new|nouveau|nouvel|nouvelle)\s+(client|cliente|customer|user|utilisateur|utilisatrice|"
    r"usager|membre|member|visitor|visiteur|patient|[ée]l[èe]ve|student)(?!\w)|(customers|users|visitors|"
    r"patients|consumers|people)(?!\w)|les\s+gens(?!\s+(du|de\s+la|de\s+votre|de\s+chez))|"
    r"(quand|lorsqu.|si)\s*on(?!\w)(?!\s+(a|avait|s'est|est)\s)|quelqu.un|when\s+(someone|people|one|you)\s)"
)
# How a writer asks, naming themselves only as the one who asks or is told: "je voudrais
# savoir si", "pouvez-vous me dire", "can you tell me whether", "I was wondering". A question
# about practices asked this way names no one whose data it could be ("Je voudrais savoir si
# vos caméras enregistrent aussi le son"), and asks a question even without its "?".
_FRAME = (
    r"(?<!\w)((j'|je\s+)(voudrais|voulais|veux|aimerais|aimerai|souhaite|souhaiterais|souhaitais)\s+"
    r"(bien\s+)?savoir|je\s+me\s+(demande|demandais|pose|posais)(\s+la\s+question)?|"
    r"((pouvez|pourriez|pourrais|peux)(-|\s+)(vous|tu)|(vous|tu)\s+(pouvez|pourriez|peux|pourrais))\s+"
    r"((me|nous)\s+(dire|pr[ée]ciser|indiquer|expliquer)|"
    r"m'(indiquer|expliquer|informer|[ée]clairer))|"
    r"(can|could|would|will)\s+(you|u|someone|anyone)\s+(please\s+)?(tell\s+(me|us)|let\s+(me|us)\s+know)|"
    r"(please\s+)?let\s+me\s+know|i('d|\s+would)\s+(like|love)\s+to\s+(know|understand|find\s+out)|"
    r"i\s+(want|wanted)\s+to\s+(know|understand|find\s+out)|i('m|\s+am|\s+was)\s+(just\s+)?"
    r"(wondering|curious)|i\s+wonder(ed)?)"
)
_ASKING = re.compile(
    _FRAME
    # ... and asks whether, how, why, where or who: "what data you keep" may be about the
    # writer's own, and is left to the model, unless it is about people in general ("quelles
    # données vous recueillez sur vos clients", "what you keep when someone signs up")
    + (
        r"(?=\s*:?\s*((si|s'|if|whether|how|combien|comment|o[ùu]|where|pourquoi|why|when|quand|qui|who)(?!\w)|"
        rf"{_WHAT}\b(?=[^.?!\n]{{0,80}}{_PEOPLE})))"
    )
)
# ... or asks "what" as one who has not signed up yet (_NOT_YET)
_ASKING_WHAT = re.compile(_FRAME + rf"(?=\s*:?\s*{_WHAT}\b)")

# "Je ne reçois plus les rappels par texto, est-ce qu'il y a un problème?", "I'm not getting
# the emails": mail that stopped arriving is a complaint, and an opt-out would stop the rest
# of it. So an opt-out that rests on the model alone is not given when the words that
# decided it (the sentence read alone, or the whole message) say that mail no longer comes.
_MAIL_STOPPED = re.compile(
    r"\b(je\s+ne\s+re[çc]ois\s+plus|j[e']\s*re[çc]ois\s+pu|n'ai\s+plus\s+re[çc]u|"
    r"(i'?m|i\s+am)\s+not\s+(getting|receiving)|i\s+(stopped|no\s+longer)\s+(getting|receiving|get|receive)|"
    r"i\s+(haven'?t|have\s+not)\s+(been\s+)?(getting|receiving|received|gotten|got))\b"
)


def _retractions(body: str) -> list[re.Match[str]]:
    """The retractions not said under a condition in their sentence, nor negated in their
    clause ("you have no reason to keep it"). The last one decides what is taken back: a
    request made after it stands ("never mind that, but unsubscribe me"); one it follows is
    taken back, even when an earlier retraction, in the subject say, came before the request."""
    found = []
    for each in _RETRACTION.finditer(body):
        start = 0
        for stop in _SENTENCE_BREAK.finditer(body, 0, each.start()):
            start = stop.end()
        if _CONDITION.search(body, start, each.start()) is not None:
            continue
        if _NEGATION.search(body[_clause_start(body, each.start()) : each.start()]):
            continue
        found.append(each)
    return found


def _retraction_scope(body: str, found: list[re.Match[str]]) -> set[str]:
    """The rights the retractions take back together ("never mind, keep it" takes back
    everything): all of them, unless each keeps something or names a request."""
    scope: set[str] = set()
    for each in found:
        said = each.group(0)
        named = said + body[each.end() : each.end() + 20]  # "... ma demande de suppression"
        rights = {label for label, words in _NAMED.items() if words.search(named)}
        if _KEEPS.search(said):
            scope.add("deletion")
        elif rights and (
            _NAMES_A_REQUEST.search(said) or _names_a_right(said) or _REQUEST_ABOUT.search(named)
        ):
            scope |= rights  # "disregard my deletion request", "hold off on the deletion"
        elif _names_another_request(named):
            continue  # "hold off on my refund request": none of the rights
        else:
            scope |= set(LABELS)
    return scope


# A request named by what it is about ("my refund request", "ma demande de remboursement"),
# and the words that say only which request it is ("my last request", "ma demande d'hier").
_REQUEST_ABOUT = re.compile(
    r"\b(?:my|the|this|that)\s+((?:[\w-]+\s+){1,2})(?:request|demand)\b|\bdemande\s+(?:de|d')\s*([\w-]+)"
)
_WHICH_REQUEST = frozenset(
    (
        *("last", "previous", "earlier", "first", "original", "recent", "latest", "other", "old"),
        *("privacy", "data", "personal", "information", "hier", "la", "le", "les", "ce", "cette"),
    )
)


def _names_another_request(named: str) -> bool:
    """Whether *named* names a request by what it is about, and that is none of the rights."""
    found = _REQUEST_ABOUT.search(named)
    words = (found.group(1) or found.group(2) or "").split() if found else []
    return any(word not in _WHICH_REQUEST and not _names_a_right(word) for word in words)


def _names_a_right(text: str) -> bool:
    return any(words.search(text) for words in _NAMED.values())


@dataclass
class Classification:
    labels: list[str]
    scores: dict[str, float]
    cues: dict[str, list[str]] = field(default_factory=dict)
    retracted: bool = False
    confident: bool = True
    # Which cues fired, by name ("deletion#1a2b3c4d", "negated deletion#1a2b3c4d"): the
    # trained model reads these as features and learns how far to trust each rule.
    fired: list[str] = field(default_factory=list)
    # Where each of those matched in `body`, the text the rules read (normalised and
    # lower-cased, the subject first when there is one, the new text from `text_start`):
    # the model reads each sentence with the cues found in it (train.sentence_words).
    fired_at: list[int] = field(default_factory=list)
    body: str = field(default="", repr=False)
    text_start: int = 0
    # Rights a retraction took back when it did not take back everything (_retraction_scope).
    withdrawn: list[str] = field(default_factory=list)
    # Whether the writer reports seeing or receiving someone else's personal information: a
    # possible confidentiality incident, for an officer to read at once (_reports_incident).
    incident: bool = False
    # Where the sentence of the last retraction ends in `body`, when it took back everything:
    # what the sender writes after it may ask anew ("Cancel that, keep my account. But I
    # don't want your newsletter anymore").
    resumes_at: int | None = None


def normalise(text: str) -> str:
    """NFC, typographic apostrophes straightened, whitespace folded within lines, and the
    lines of a paragraph that the sender's mail program wrapped joined again (unwrapped)."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("`", "'")
    return unwrapped([" ".join(line.split()) for line in text.split("\n")])


# A line cut by the sender's mail program (plain-text mail is often wrapped at 72 to 78
# characters, a template at 50) goes on in the next one: "I request that you disclose to me
# the categories" / "and specific pieces of personal information that your" / "company has
# collected about me". Read as one line, the sentence is one clause and one sentence for the
# cues and the model, instead of fragments of it. A line is taken to go on when it is at
# least WRAPPED_LINE characters long and ends in a word no sentence ends with (_CUT_AFTER),
# or when the next one starts in lower case with a word that carries a sentence on
# (_CUT_BEFORE). Not on line length and case alone: mail typed on a phone often puts each
# sentence on its own line without a full stop ("je ne comprends pas" / "supprimez mon
# compte svp"), and joined, the first line's negation would reach the second's request.
WRAPPED_LINE = 40
_CUT_AFTER = re.compile(
    r"\b(de|du|des|la|le|les|l|un|une|et|ou|que|qui|à|au|aux|pour|par|sur|dans|avec|en|mon|ma|mes|"
    r"votre|vos|notre|nos|son|sa|ses|leur|leurs|ce|cette|ces|est|sont|the|a|an|to|of|and|or|that|which|"
    r"who|for|by|on|in|with|from|my|your|our|his|her|their|this|these|is|are|be|under|about|as)$",
    re.I,
)
_CUT_BEFORE = re.compile(
    r"(de|du|des|et|ou|que|qui|à|au|aux|pour|par|sur|dans|avec|and|or|of|to|that|which|who|for|by|"
    r"on|in|with|from|under|about|as)\b"
)


def unwrapped(lines: list[str]) -> str:
    """*lines* joined by newlines, except where a line goes on from the one before (WRAPPED_LINE)."""
    out: list[str] = []
    last = ""  # the line before, as it was written
    for line in lines:
        cut = len(last) >= WRAPPED_LINE and last[-1] not in ".!?:;" and line[:1].isalpha()
        if out and cut and (_CUT_AFTER.search(last) or _CUT_BEFORE.match(line)):
            out[-1] += " " + line
        else:
            out.append(line)
        last = line
    return "\n".join(out)


def _clause_start(text: str, position: int) -> int:
    start = 0
    for match in _CLAUSE_BREAK.finditer(text, 0, position):
        start = match.end()
    return start


_PREFIXES = r"^\s*((re|tr|fw|fwd|réf|ref)\s*:\s*)+"


def rule_cues(text: str, subject: str = "") -> Classification:
    """The rule layer alone: cue patterns read clause by clause, negation and retraction."""
    # A reply's subject is the thread's title, written by whoever wrote first ("Re: Your
    # unsubscribe confirmation"): not the sender's words. A forward's may be the request.
    subject = "" if REPLY_SUBJECT.match(subject) else re.sub(_PREFIXES, "", subject, flags=re.I)
    # the subject normalised apart: it is never wrapped into the body
    heading = normalise(subject)
    body = (f"{heading}\n{normalise(text)}" if subject else normalise(text))[:20_000].lower()
    scores = dict.fromkeys(LABELS, 0.0)
    cues: dict[str, list[str]] = {label: [] for label in LABELS}
    fired: list[str] = []
    fired_at: list[int] = []
    wrong: bool | None = None  # whether _WRONG occurs: searched once, when a cue needs it
    maybe = set(_ALWAYS_SCANNED)  # the cues one of whose leads occurs in the body, and the others
    starts: dict[int, set[int]] = {}  # where the anchored ones among them may start
    for end, (length, cues_led, anchored) in _LEAD_FINDER.iter(body):
        maybe |= cues_led
        for index in anchored:
            starts.setdefault(index, set()).add(end - length + 1)
    retractable = _RETRACTING in maybe  # one of a retraction's leads occurs
    maybe.discard(_RETRACTING)
    for index in sorted(maybe):  # in the table's order, as the model was trained
        name, label, weight, pattern, finder, _, needs_wrong, anchored = _CUE_TABLE[index]
        if needs_wrong:
            if wrong is None:
                wrong = next(_matches(_WRONG, _WRONG_FINDER, body), None) is not None
            if not wrong:
                continue
        found = (
            _anchored(pattern, body, sorted(starts[index])) if anchored else _matches(pattern, finder, body)
        )
        for match in found:
            clause_start = _clause_start(body, match.start())
            before = body[clause_start : match.start()]
            # only supposed ("if I wanted to delete…"), or a right the law gives, named ("la loi me
            # donne un droit d'accès"): shown as such, read by the model as a negated cue
            supposed = "supposed" if _SUPPOSED.search(before) else "stated" if _STATED.search(before) else ""
            negated = not _PROHIBITS.match(match.group(0)) and (
                _NEGATION.search(before)
                or _NEGATED_LIST.search(before)
                or _is_french_negated(before, body[match.start() :])
            )
            if label == "access" and _enters_a_system(body, match):
                cues[label].append(f"access to a system or a place: {match.group(0)[:60]}")
                continue  # not read as a request, nor by the model
            if (
                label == "access"
                and not (supposed or negated)
                and _is_policy_question(body, match, clause_start)
            ):
                cues[label].append(f"policy question: {match.group(0)[:60]}")
                fired.append(f"policy {name}")
                fired_at.append(match.start())
                continue
            if supposed or negated:
                said = supposed or "negated"
                cues[label].append(f"{said}: {match.group(0)[:60]}")
                fired.append(f"negated {name}")
                fired_at.append(match.start())
                continue
            fired.append(name)
            fired_at.append(match.start())
            if match.group(0)[:60] not in cues[label]:
                cues[label].append(match.group(0)[:60])
            # Several independent cues make a label surer: 1 - product of misses.
            scores[label] = 1 - (1 - scores[label]) * (1 - weight)
    retractions = _retractions(body) if retractable else []
    retraction = retractions[-1] if retractions else None
    retracted, withdrawn, resumes_at = False, [], None
    if retraction is not None:
        standing = {  # asked for after the retraction, in another clause: the request stands
            label
            for label in LABELS
            if scores[label] >= 0.9 and _only_after_retraction(body, retraction, cues[label])
        }
        scope = _retraction_scope(body, retractions)
        retracted = scope == set(LABELS) and not standing
        withdrawn = [] if retracted else [label for label in LABELS if label in scope - standing]
        if retracted or withdrawn:
            cues.setdefault("retraction", []).append(retraction.group(0))
        for label in LABELS if retracted else withdrawn:
            scores[label] = 0.0
        if retracted:
            end = _SENTENCE_BREAK.search(body, retraction.end())
            resumes_at = len(body) if end is None else end.end()
    return Classification(
        labels=[label for label in LABELS if scores[label] >= THRESHOLD],
        scores=scores,
        cues={k: v for k, v in cues.items() if v},
        retracted=retracted,
        fired=fired,
        fired_at=fired_at,
        body=body,
        withdrawn=withdrawn,
        text_start=len(heading.lower()) + 1 if subject else 0,
        resumes_at=resumes_at,
    )


# The model reads the rule cues as features (train.rule_features) and learns from the
# corpus how far to trust each one, so its score decides: the whole message's, or one
# sentence's read alone (model.model_reading). In a message of ten words or fewer, where
# statistics have little to go on, a rule that is sure on its own (one cue of weight 0.85
# or more, or several weaker ones) adds its right even where the model is not; in longer
# messages it proved wrong more often than right ("I unsubscribed by mistake"). Chosen by
# cross-author validation on the training corpus (benchmarks/classifier_select.py); the
# README gives the figures.
MODEL_THRESHOLD = 0.45
RULE_SURE = 0.85
SHORT = 10  # words
# Below this, a label that rests on the model alone is not sure: an officer decides (in the
# chat, the visitor is asked which right is meant).
CONFIDENT = 0.6
# After a retraction that took back everything, what follows its sentence is read again as
# a message of its own when it has this many words or more.
AFTER_RETRACTION = 3


def classify_request(text: str, subject: str = "") -> Classification:
    """Label *text* (the sender's new words) and *subject* with the rights they ask for.

    The trained model (model.py), which also reads which rule cues fired, scores every
    label; in a short message a rule that is sure adds its label; a retraction cancels
    everything said before it, or only the right it keeps or names (`withdrawn`). `confident` is False when
    a label rests on a model score close to the threshold.
    """
    from intake_bot.classifiers.model import model_reading

    rules = rule_cues(text, subject)
    if rules.retracted and rules.resumes_at is not None:
        after = rules.body[rules.resumes_at :]
        if len(after.split()) >= AFTER_RETRACTION:
            anew = classify_request(after)
            if anew.labels:
                anew.cues["retraction"] = rules.cues["retraction"]
                return anew
    reading = None if rules.retracted else model_reading(text, subject, rules)
    if reading is None:  # taken back, or no model installed
        rules.scores = {k: round(v, 3) for k, v in rules.scores.items()}
        return rules
    learned = reading.scores
    labels, ruled = given(learned, rules.scores, rules.withdrawn, len(text.split()))
    # rights the model alone gave (no cue of theirs fired), that a check below takes back, and why
    not_given: dict[str, str] = {}
    if "access" in labels and _names_no_one(rules, subject, reading.sentences.get("access")):
        not_given["access"] = "a question that names no one whose data it is"
    if "opt-out" in labels and _mail_stopped(rules, reading):
        not_given["opt-out"] = "says that mail no longer comes"
    # a report of someone else's information seen or received: an officer reads it at once,
    # whatever rights it also asks for, or the model reads in its words
    incident = _reports_incident(rules.body)
    labels = [label for label in labels if label not in not_given]
    reminded, by_statute = chased_rights(rules.body)
    chased = {
        label
        for label in reminded
        if label not in labels and label not in rules.withdrawn and learned[label] >= CHASED_THRESHOLD
    }
    # A statute's article tells the right only where the words tell none: letters cite
    # several articles while asking for one ("I reserve my rights under Article 16"), and
    # Quebec's s. 28 serves for deletion as well as rectification
    cited: set[str] = set()
    if not labels and not chased:
        cited = reminded if by_statute else cited_rights(rules.body)
        cited = {label for label in cited if label not in rules.withdrawn}
    titled = _chased_in_title(rules.body, subject, asked=bool(labels or chased or cited))
    chased_in_title = {
        label
        for label in titled
        if label not in labels and label not in chased | cited and label not in not_given
    }
    labels = [label for label in LABELS if label in labels or label in chased | cited | chased_in_title]
    scores = {
        label: max(learned[label], rules.scores[label]) if label in ruled else learned[label]
        for label in LABELS
    }
    cues = {label: list(found) for label, found in rules.cues.items()}
    for label, reason in not_given.items():
        cues.setdefault(label, []).append(f"model {learned[label]:.2f}, not given: {reason}")
    for label in chased:
        cues.setdefault(label, []).append(CHASED_CUE)
    for label in cited:
        cues.setdefault(label, []).append(STATUTE_REMINDER_CUE if by_statute else STATUTE_CUE)
    for label in chased_in_title:
        cues.setdefault(label, []).append(f"{TITLE_CUE}: {subject[:60]}")
    for label in labels:
        sentence = reading.sentences.get(label)
        cues.setdefault(label, []).append(
            f"model {learned[label]:.2f}" + (f" (sentence: {sentence[:60]})" if sentence else "")
        )
    return Classification(
        labels=labels,
        scores={k: round(v, 3) for k, v in scores.items()},
        cues=cues,
        confident=all(scores[label] >= CONFIDENT for label in labels)
        and not incident
        and not chased_in_title
        and not cited,
        fired=rules.fired,
        fired_at=rules.fired_at,
        incident=incident,
    )


def given(
    learned: dict[str, float], rule_scores: dict[str, float], withdrawn: list[str], words: int
) -> tuple[list[str], set[str]]:
    """The rights given from the model's scores (*learned*) and the rules', in a message of
    *words* words, and those among them that the rules gave alone (sure, in a short message)."""
    ruled = {label for label in LABELS if words <= SHORT and rule_scores[label] >= RULE_SURE}
    labels = [
        label
        for label in LABELS
        if (learned[label] >= MODEL_THRESHOLD or label in ruled) and label not in withdrawn
    ]
    return labels, ruled


def _names_no_one(rules: Classification, subject: str, sentence: str | None = None) -> bool:
    """Whether a message that no access cue reads as a request asks a question and names no
    person whose data it could be (_NAMES_A_PERSON), the writer counting for none where
    they only ask (_ASKING). When one *sentence* gave the model's access, that sentence is
    the one that must ask: "Envoyez une copie des documents. Quels sont les frais?" asks for it."""
    asked = sentence or rules.body
    return (
        rules.scores["access"] == 0
        and not REPLY_SUBJECT.match(subject)
        and _asks(asked)
        and _NAMES_A_PERSON.search(_unasked(rules.body)) is None
    )


def _asks(text: str) -> bool:
    """Whether *text* asks a question: a "?", an asking frame (_ASKING), or a frame before
    "what" from one who has not signed up yet (_NOT_YET), even without the "?"."""
    return (
        "?" in text
        or _ASKING.search(text) is not None
        or (_NOT_YET.search(text) is not None and _ASKING_WHAT.search(text) is not None)
    )


def _unasked(body: str) -> str:
    """*body* without the frames through which its writer only asks (_ASKING), and, where the
    writer has not signed up yet (_NOT_YET), without that and the frames of a "what" question."""
    body = _ASKING.sub(" ", body)
    if _NOT_YET.search(body):
        body = _NOT_YET.sub(" ", _ASKING_WHAT.sub(" ", body))
    return body


# Someone else's personal information, seen or received by the writer: "I can see another
# customer's orders in my account", "j'ai reçu la facture d'un autre client", "your app shows
# other users' addresses", "I received an email meant for someone else". Law 25 (s. 3.5) asks
# the organisation to act on such an incident promptly: no automatic acknowledgement; an
# officer reads it, with whatever rights it also asks for.
_PEOPLE_EN_WORDS = (
    *("person", "people", "customer", "client", "user", "member", "patient", "student", "tenant"),
    *("employee", "colleague", "coworker", "family", "child", "kid", "parent", "resident"),
    *("account holder", "subscriber", "participant"),
)
_PEOPLE_EN = "(" + "|".join(word.replace(" ", r"\s+") for word in _PEOPLE_EN_WORDS) + ")"
_PEOPLE_FR = (
    r"(personne|client|cliente|usager|usag[èe]re|membre|patient|patiente|[ée]l[èe]ve|[ée]tudiante?|"
    r"locataire|employ[ée]e?|coll[èe]gue|famille|enfant|parent|r[ée]sidente?|abonn[ée]e?)"
)
# Another person than the writer, named as such: "someone else", "another patient", "other
# members", "d'une autre cliente", "quelqu'un d'autre", "l'ancienne propriétaire du numéro"
# (not "other companies" nor "d'autres compagnies", which mail comes from).
_OTHERS = (
    r"(some(one|body)\s+else|another\s+" + _PEOPLE_EN + r"|other\s+" + _PEOPLE_EN + r"s|"
    r"a\s+different\s+" + _PEOPLE_EN + r"|(my|the)\s+neighbou?r|(the\s+)?previous\s+owner|"
    r"(three|two|several|some)\s+(colleagues|coworkers)|"
    r"(d.|de\s+)(un|une)\s+autre\s+"
    + _PEOPLE_FR
    + r"|d.autres\s+"
    + _PEOPLE_FR
    + r"s|des\s+autres\s+"
    + _PEOPLE_FR
    + r"s|"
    r"(de\s+)?(quelqu.un\s+d.autre|mon\s+voisin|ma\s+voisine|l.ancien(ne)?\s+propri[ée]taire)|"
    r"(de\s+)?(trois|deux|plusieurs)\s+coll[èe]gues)"
)
# whose: "someone's", "a patient's", "everyone's"
_WHOSE = (
    r"(some(one|body)(\s+else)?|another\s+" + _PEOPLE_EN + r"|a\s+different\s+" + _PEOPLE_EN + r"|"
    r"(a|the)\s+" + _PEOPLE_EN + r"|(my|the)\s+neighbou?r|(the\s+)?previous\s+owner|everyone|everybody)['’]s|"
    r"other\s+" + _PEOPLE_EN + r"s['’]?"
)
# what can be someone's personal information, in a letter, a screen, a voicemail
_THEIR_DATA = (
    r"(personal\s+)?(data|information|info|details|files?|records?|accounts?|invoices?|orders?|order\s+history|"
    r"statements?|e-?mails?|names?|full\s+names?|addresses|address|phone\s+numbers?|numbers?|documents?|results?|"
    r"profiles?|report\s+cards?|pay\s*stubs?|payslips?|passports?|leases?|receipts?|prescriptions?|medications?|"
    r"diagnos[ie]s|lab\s+results?|appointments?|reminders?|texts?|messages?|voicemails?|photos?|birthday|"
    r"date\s+of\s+birth|salary|transactions?|balances?|grades|health\s+card|sin|tax\s+(slips?|forms?|returns?))"
)
_LEURS_DONNEES = (
    r"(donn[ée]es|renseignements|informations|infos|dossiers?|factures?|commandes?|relev[ée]s?(\s+\d+)?|"
    r"courriels?|coordonn[ée]es|profils?|r[ée]sultats|documents?|bulletins?|talons?\s+de\s+paie|passeports?|"
    r"baux|bail|re[çc]us?|ordonnances?|m[ée]dicaments|diagnostics?|rendez-vous|rappels?|textos|messages|"
    r"adresses|num[ée]ros|noms|photos?|salaires?|transactions|soldes|notes|nas|listes?|"
    r"historique(\s+de\s+commandes)?)"
)
_OTHERS_DATA = re.compile(
    rf"\b({_WHOSE}\s+(\w+\s+)?{_THEIR_DATA}\b|"
    rf"{_THEIR_DATA}\s+(of|for|belonging\s+to)\s+(your\s+|the\s+)?{_OTHERS}|"
    rf"{_LEURS_DONNEES}\s+(personnel\w*\s+)?{_OTHERS}|"
    r"(clients|customers|users|usagers)\s+(that|which|who|qui)\s+(aren.t|are\s+not|ne\s+sont\s+pas)\s+"
    r"(mine|[àa]\s+moi|mes\s+clients)|"
    r"(orders|commandes|documents|files|dossiers)\s+(that|which|qui)\s+(aren.t|are\s+not|ne\s+sont\s+pas)\s+"
    r"(mine|[àa]\s+moi|les\s+miens|les\s+miennes)|"
    rf"(belongs?|belonged)\s+to\s+{_OTHERS}|(appartient|appartiennent)\s+[àa]\s+{_OTHERS}|"
    r"(c.est|ce\s+n.est)\s+pas\s+(mon|ma)\s+\w+\s*,\s*c.est\s+(celui|celle)\s+d|"
    rf"(meant|intended|addressed)\s+for\s+{_OTHERS}|destin[ée]e?s?\s+[àa]\s+{_OTHERS})"
)
# what the writer did with it, or where it came to them: saw, received, was shown
_SEEN = re.compile(
    r"\b(i\s+(can\s+|could\s+)?(see|saw|view|access|accessed|found|opened|noticed|got|get|received|receive|"
    r"was\s+sent|keep\s+(getting|receiving))|i.m\s+(getting|receiving)|i\s+am\s+(getting|receiving)|"
    r"(i.ve|i\s+have)\s+(been\s+)?(seen|received|receiving|getting|got|gotten|sent|shown|given)|we\s+(received|got)|"
    r"(is|are|was|were)\s+(visible|showing|displayed|shown|sent\s+to\s+me|listed)|shows?|showing|displays?|"
    r"appears?|came\s+(in|with|by)|arrived|(in|inside)\s+(the|my)\s+(envelope|bag|mailbox|inbox|portal)|"
    r"(gave|sent|forwarded|emailed|texted|attached|faxed)\s+me|you\s+(sent|attached|forwarded|left)|"
    r"je\s+(peux\s+|pouvais\s+)?(vois|voyais|voir|consulter|acc[èe]de|ai\s+acc[èe]s|re[çc]ois|recevais|trouve)|"
    r"j.ai\s+(vu|re[çc]u|trouv[ée]|ouvert|eu\s+acc[èe]s|acc[èe]s|pu\s+voir|pu\s+consulter)|"
    r"on\s+(voit|voyait)|nous\s+avons\s+re[çc]u|dans\s+(l.enveloppe|mon\s+sac|ma\s+bo[îi]te|mon\s+compte|le\s+portail)|"
    r"s.affich\w*|m.affiche|affiche|appara[îi]\w*|(est|sont)\s+visibles?|"
    r"(m.a|m.ont|vous\s+m.avez)\s+(\w+\s+)?(donn[ée]|envoy[ée]|transmis|transf[ée]r[ée])|m.a\s+[ée]t[ée]\s+(envoy|transmis))"
)


# A word every report holds: the sentences that hold one are the only ones read for a report,
# found in one Aho-Corasick pass (_OTHERS_DATA over the whole message, which tries its long
# tails at every "data" or "données", cost a tenth of classifying one).
_SOMEONE_ELSE = ahocorasick.Automaton()
for _word in (
    "someone|somebody|another|other|different|neighbour|neighbor|previous owner|colleagues|coworkers|"
    "everyone|everybody|mine|belong|meant|intended|addressed|aren't|aren’t|are not|ne sont pas|autre|"
    "quelqu|voisin|propriétaire|proprietaire|collègues|collegues|à moi|a moi|miens|miennes|celui|celle|"
    "appartien|destin"
).split("|") + [f"{person}{mark}s" for person in _PEOPLE_EN_WORDS for mark in "'’"]:  # "a patient's"
    _SOMEONE_ELSE.add_word(_word, _word)
_SOMEONE_ELSE.make_automaton()


def _reports_incident(body: str) -> bool:
    """Whether a sentence of *body* (lower-cased) says the writer saw or received someone
    else's personal information, asking about it or not ("why can I see another customer's
    orders?"); "can your employees see other customers' files?" names no writer who saw them."""
    read = -1
    for at, _ in _SOMEONE_ELSE.iter(body):
        if at < read:
            continue  # in a sentence already read
        start = max((m.end() for m in _SENTENCE_BREAK.finditer(body, 0, at)), default=0)
        end = _SENTENCE_BREAK.search(body, at)
        read = stop = end.start() if end else len(body)
        if _OTHERS_DATA.search(body, start, stop) and _SEEN.search(body, start, stop):
            return True
    return False


def _mail_stopped(rules: Classification, reading: Reading) -> bool:
    """Whether no opt-out cue fired and the words that gave the model's opt-out (the sentence
    read alone, or the whole message) say that mail no longer comes (_MAIL_STOPPED)."""
    decided = reading.sentences.get("opt-out") or rules.body  # both lower-cased already
    return rules.scores["opt-out"] == 0 and _MAIL_STOPPED.search(decided) is not None


# A reminder of a request that went unanswered ("my access request of 3 October has had no
# reply", "ma demande d'accès du 5 septembre est restée sans réponse") asks again for the
# right it names: a missed deadline is a refusal in law, and the first request may never
# have reached the bot (sent by post, or lost). The model, reading a letter about the past,
# often scores that right below the threshold; where the message says a request went
# unanswered and names it by its right ("access request", "demande de rectification",
# "right of access", "a copy of my file"), a lower score gives it (CHASED_THRESHOLD). Only
# by that name: a reviewer's invented mail showed a copy of an invoice, access to an
# account or a gym, the removal of a banner, all "still unanswered". Access, correction and
# deletion: the rights with a deadline.
_RIGHT_NOUNS = {
    "access": r"(access|acc[èe]s|portabilit[ée]|portability)",
    "correction": r"(correction|rectification)",
    "deletion": (
        r"(deletion|erasure|suppression|effacement|destruction|anonymi[sz]ation|oubli|be\s+forgotten)"
    ),
}
# what a request "de X à / of X to" is about: the writer's data, a date, everything; not a place
_OF_MINE = (
    r"(?!\s+(to|of|[àa]|au|aux|de|du|des)\s+"
    r"(?!(\d|mon|ma|mes|my|all|tou\w+|l.ensemble|les\s+(donn|renseign)))\w)"
)
_COPY_OF_MINE = (
    r"(copy|copie)\s+(of|de)\s+(all\s+)?(my|mes|mon|ma)\s+(personal\s+)?"
    r"(data|information|renseignements|donn[ée]es|file|dossier|records)"
)
_NAMED_REQUEST = {
    label: re.compile(
        rf"\b({nouns}\s+((and|et|&|/)\s+\w+\s+)?(requests?|demande)\b|"
        rf"(demandes?|requ[êe]tes?|requests?|droit|right)\s+(d.|de\s+|for\s+|of\s+|to\s+|[àa]\s+)(l.)?"
        rf"{nouns}\b{_OF_MINE}" + (f"|{_COPY_OF_MINE})" if label == "access" else ")")
    )
    for label, nouns in _RIGHT_NOUNS.items()
}
_UNANSWERED = re.compile(
    r"\b(no\s+(reply|response|answer|acknowledge?ment)(?!\s+(is\s+)?(needed|necessary|required))|"
    r"not\s+((yet|even)\s+)?(received|heard)\b|unanswered|never\s+heard\s+back|any\s+(update|news)\b|"
    r"(haven.t|have\s+not|hasn.t|has\s+not|did\s+not|didn.t)\s+((yet|even)\s+)?"
    r"(received|heard|had\s+(a|any)|got|gotten|answered|replied|responded)|"
    r"still\s+(waiting|no\b|not\b|haven.t|have\s+not|nothing|pending)|overdue|"
    # a reminder of one's own, not an appointment's: "this is my second reminder", "Reminder:"
    r"(a|my|this|second|final|last|friendly|gentle|formal|another)\s+reminder|^reminder\b|"
    r"(deadline|time\s+limit)\s+(\S+\s+){0,4}(passed|expired|elapsed|lapsed)|"
    r"(month|days|weeks)\s+(has|have)\s+(now\s+)?(passed|elapsed|gone\s+by)|"
    r"(second|third|2nd|3rd)\s+(request|reminder|follow[\s-]*up)|"
    r"sans\s+(r[ée]ponse|suite|nouvelles|retour)(?!\s+(sous|d.ici|dans|avant)\b)|"
    r"aucune\s+(r[ée]ponse|nouvelle|suite)(?!\s+n.est)|"
    r"aucun\s+retour|pas\s+(encore\s+)?(eu|re[çc]u|obtenu)\s+de\s+(nouvelles|r[ée]ponse|retour)|"
    r"toujours\s+pas\s+de\s+(nouvelles|r[ée]ponse|retour)|"
    r"n.avez\s+(jamais|toujours\s+pas|pas\s+encore)\s+r[ée]pondu|"
    r"n.ai\s+(toujours\s+|encore\s+)?(pas|rien|jamais)\s+(\S+\s+)?(re[çc]u|eu)\b|"
    r"toujours\s+(rien|sans|en\s+attente|aucune?)|j.attends\s+toujours|relance|"
    r"d[ée]lai\s+(\S+\s+){0,4}(expir|d[ée]pass|[ée]coul|[ée]chu)\w*|r[ée]it[èe]re|"
    r"(deuxi[èe]me|seconde|2e)\s+(demande|relance))"
)
# the writer says the answer came ("I've received the copy", "j'ai finalement reçu mon
# dossier"; not "I received your acknowledgement"), or that none is needed any more
_ANSWERED = re.compile(
    r"\b((i.ve|i\s+have|i|we|j.ai|nous\s+avons|(?<!sans\s)(?<!pas\s)(?<!jamais\s)avoir)\s+"
    r"(?!(not|never|yet|pas|jamais|rien)\b)(\w+\s+)?"
    r"(received|re[çc]u)\s+((?!(no|any|aucune?|rien|pas)\b)\w+\s+){0,3}?"
    r"(copy|copie|file|fichier|dossier|data|donn[ée]es|information|renseignements|documents?|records?|"
    r"answer|reply|response|r[ée]ponse)|"
    r"thanks?(\s+you)?\s+(so\s+much\s+)?for\s+(sending|the\s+copy|your\s+(answer|reply|response))|"
    r"merci\s+(de\s+m.avoir\s+(envoy|transmis|r[ée]pondu)|pour\s+(l.envoi|la\s+copie|votre\s+r[ée]ponse))|"
    r"no\s+longer\s+need|n.est\s+plus\s+n[ée]cessaire|n.ai\s+plus\s+besoin)"
)
# a request of others', not the writer's: "several readers say their access requests…"
_THEIRS = re.compile(r"\b(their|leurs?)\s+(\w+\s+){0,2}$")
# the writer has taken the matter to the regulator: a notice, which asks nothing new
_ESCALATED = re.compile(
    r"\b((i|we)\s+(have\s+|just\s+)?(now\s+)?(filed|lodged|submitted|made|sent)\s+(a|an|my)\s+"
    r"(complaint|application|request\s+for\s+review)|"
    r"(j.ai|nous\s+avons)\s+(\w+\s+)?(d[ée]pos[ée]|saisi|port[ée]\s+plainte|adress[ée]\s+une\s+plainte))"
)
# The articles of the privacy statutes that give each right, for letters that name a request
# only by its legal basis ("ma demande au titre de l'article 15 du RGPD", "a request under
# section 1798.105 of the CCPA"): the GDPR and the UK GDPR; Quebec's private-sector act (as
# amended by Law 25); PIPEDA's principles and its section 8; the CCPA's sections, which
# need no statute's name. Objection (GDPR art. 21) is read as opt-out, as the issue reads it.
# Each statute: text every mention of its name holds (read first: most mail names none), its
# name, and its articles' rights.
_STATUTES = {
    "gdpr": (
        ("gdpr", "rgpd", "dsgvo", "protection des donn", "data protection regulation", "2016/679"),
        r"(uk[\s-]*)?(gdpr|rgpd|dsgvo|general\s+data\s+protection\s+regulation|"
        r"r[èe]glement\s+g[ée]n[ée]ral\s+(sur\s+la\s+|de\s+)protection\s+des\s+donn[ée]es|"
        r"(regulation|r[èe]glement)\s+\(?(eu|ue)\)?\s+(no\.?\s*|n°\s*)?2016/679)",
        {
            "15": "access",
            "20": "access",
            "16": "correction",
            "17": "deletion",
            "21": "opt-out",
            "7(3)": "opt-out",
        },
    ),
    "quebec": (
        ("25", "64", "lprpsp", "priv"),
        r"(loi\s*(no\.?\s*|n°\s*)?25|law\s*(no\.?\s*)?25|bill\s*(no\.?\s*)?64|lprpsp|"
        r"loi\s+sur\s+la\s+protection\s+des\s+renseignements\s+personnels\s+dans\s+le\s+secteur\s+priv[ée]|"
        r"loi\s+sur\s+le\s+(secteur\s+)?priv[ée]|"
        r"act\s+respecting\s+the\s+protection\s+of\s+personal\s+information\s+in\s+the\s+private\s+sector|"
        r"private[\s-]+sector\s+(privacy\s+)?act)",
        {"27": "access", "28": "correction", "28.1": "deletion"},
    ),
    "pipeda": (
        ("pipeda", "lprpde", "electronic", "les documents"),
        r"(pipeda|lprpde|personal\s+information\s+protection\s+and\s+electronic\s+documents\s+act|"
        r"loi\s+sur\s+la\s+protection\s+des\s+renseignements\s+personnels\s+et\s+les\s+documents)",
        {"8": "access", "4.9": "access", "4.9.1": "access", "4.9.5": "correction", "4.3.8": "opt-out"},
    ),
    # Canada's anti-spam law: section 11 is the unsubscribe mechanism
    "casl": (
        ("casl", "lcap", "pourriel", "spam"),
        r"(casl|lcap|loi\s+canadienne\s+anti-?pourriel|canada.s\s+anti-?spam\s+(law|legislation|act))",
        {"11": "opt-out"},
    ),
}
_CCPA = {
    **dict.fromkeys(("1798.100", "1798.110", "1798.115"), "access"),
    "1798.105": "deletion",
    "1798.106": "correction",
    **dict.fromkeys(("1798.120", "1798.121"), "opt-out"),
}
# a number, whole ("28.1", not its "28"), with its paragraphs: "21(2)"; a list of them, but
# not a range ("articles 15 to 22", "16-21"): a sweep over the rights names none of them
_NUMBER = r"\d+(\.\d+)*(?![\d.]?\d)(\s*\(\w{1,3}\))*"
_NUMBERS = rf"{_NUMBER}(\s*(,|and|et|&|or|ou)\s*{_NUMBER})*(?!\s*(to|[àa]|au|-|–|through)\s*\d)"
_POINTS = r"\b(art(icles?|s?\.)?|sections?|ss?\.|principles?|principes?|clauses?)\s*|§+\s*"
_STATUTE_REF = {
    law: re.compile(
        rf"(?:{_POINTS})(?P<numbers>{_NUMBERS})\s*,?\s*(\(?\s*(of|du|de|des|from)\b\s*)?"
        rf"(\S+\s+){{0,3}}?\(?\b{name}\b|\b{name}\s*,?\s*\(?(?:{_POINTS})(?P<after>{_NUMBERS})"
    )
    for law, (_, name, _) in _STATUTES.items()
}
_CCPA_REF = re.compile(r"\b1798\.1\d\d\b")
# an article's number and, for the GDPR's consent withdrawal, its paragraph: "7(3)"
_PLAIN_NUMBER = re.compile(r"(?<![(\d.])\d+(\.\d+)*(\s*\(\d\))?")


def statute_rights(body: str) -> set[str]:
    """The rights *body* (lower-cased) names through the article of a privacy statute that
    gives them ("article 17 du RGPD", "Loi 25, art. 27", "§ 1798.105")."""
    rights = set()
    if "1798." in body:
        rights = {_CCPA[found.group(0)] for found in _CCPA_REF.finditer(body) if found.group(0) in _CCPA}
    for law, (hints, _, articles) in _STATUTES.items():
        if not any(hint in body for hint in hints):
            continue
        for found in _STATUTE_REF[law].finditer(body):
            numbers = found.group("numbers") or found.group("after")
            for number in _PLAIN_NUMBER.finditer(numbers):
                article = number.group(0).replace(" ", "")
                right = articles.get(article) or articles.get(article.split("(")[0])
                if right:
                    rights.add(right)
    return rights


# the writer speaking for themselves, or asking the reader to act
_FIRST_PERSON = re.compile(r"\b(i|my|me|mine|je|j'|m'|mon|ma|mes|moi|please|veuillez|merci\s+de)(?!\w)")
# what is quoted is not the writer's voice: a button's "Do Not Sell My Personal Information"
_QUOTED = re.compile(r'"[^"\n]*"|«[^»\n]*»|“[^”\n]*”')
# a request made before, told of: a reminder's, or one the writer now takes back
_TOLD_OF = re.compile(
    r"\b(je\s+vous\s+ai|j.ai|nous\s+(vous\s+)?avons|i\s+have|i.ve|i|we)\s+(already\s+|d[ée]j[àa]\s+)?"
    r"(demand|adress|transmis|envoy|fait|formul|soumis|submitted|sent|made|asked|requested|filed|lodged)"
)


def cited_rights(body: str) -> set[str]:
    """The rights *body* (lower-cased) asks for only through a statute's article ("Please
    treat this email as a request under Article 15 GDPR", "je me prévaux de l'article 17 du
    RGPD"): in a paragraph where the writer speaks for themselves (_QUOTED text aside), asks
    no question and tells of no request made before (_TOLD_OF), in a message that says
    neither that the answer came nor that the writer went to the regulator. Not in a
    newsletter's "Under Article 15 GDPR, a company must answer within a month"."""
    if not statute_rights(body) or _ANSWERED.search(body) or _ESCALATED.search(body):
        return set()
    rights: set[str] = set()
    for paragraph in _QUOTED.sub(" ", body).split("\n"):
        if "?" not in paragraph and _FIRST_PERSON.search(paragraph) and not _TOLD_OF.search(paragraph):
            rights |= statute_rights(paragraph)
    return rights


CHASED_THRESHOLD = 0.25
# The cues of the rules that give a right after the model, whatever its score: `classify`
# shows them beside that score.
CHASED_CUE = "a reminder of an unanswered request for it"
STATUTE_CUE = "a request under the statute's article for it"
STATUTE_REMINDER_CUE = "a reminder of an unanswered request under the statute's article for it"
TITLE_CUE = "a reminder in the thread of a request for it"
AFTER_THE_MODEL = (CHASED_CUE, STATUTE_CUE, STATUTE_REMINDER_CUE, TITLE_CUE)


@lru_cache(maxsize=4)  # asked by chased_rights and _chased_in_title of the same body
def _says_unanswered(body: str) -> bool:
    return _UNANSWERED.search(body) is not None


def _reminds(body: str, nudges: re.Pattern[str] | None = None) -> bool:
    """Whether *body* (lower-cased) says a request went unanswered (or, with *nudges*, nudges
    about it), and neither that the answer came nor that the writer went to the regulator."""
    asks_again = _says_unanswered(body) or (nudges is not None and nudges.search(body) is not None)
    return asks_again and _ANSWERED.search(body) is None and _ESCALATED.search(body) is None


def chased_rights(body: str) -> tuple[set[str], bool]:
    """The rights named by the requests *body* (lower-cased) says went unanswered, and
    whether they were named only through a statute's article (statute_rights): words first,
    since they say what the writer meant ("my erasure request under article 28")."""
    if not _reminds(body):
        return set(), False
    named = {
        label
        for label, named in _NAMED_REQUEST.items()
        if any(not _THEIRS.search(body, 0, found.start()) for found in named.finditer(body))
    }
    return (named, False) if named else (statute_rights(body), True)


# What a nudge says besides _UNANSWERED's "no answer" ("any news", "toujours rien"): "any
# progress?", "just following up", "des nouvelles?", "où en est ma demande", "je fais un
# suivi", "bump"; not "thank you for following up".
_FOLLOWING_UP = re.compile(
    r"(^|[.!?,:;]\s*|\b(i.m|i\s+am|just|am|i\s+was)\s+)follow(ing)?[\s-]*up\b|"
    r"\b(just\s+checking|checking\s+in|any\s+progress|bump|"
    r"where\s+(are\s+we|is\s+(it|this|that|my))|what\s+is\s+the\s+status|status\s+update|nothing\s+yet|"
    r"des\s+nouvelles|un\s+suivi|fais\s+un\s+suivi|faire\s+un\s+suivi|o[ùu]\s+en\s+(est|[êe]tes|sommes)|"
    r"encore\s+rien|pas\s+encore\s+(été\s+)?(fait|trait[ée]|corrig[ée]|supprim[ée]|effac[ée]))"
)


# how long the text (with its subject) of a reminder whose writer titled it may be
NUDGE_WORDS = 80


def _chased_in_title(body: str, subject: str, asked: bool) -> list[str]:
    """A reminder sent as a reply to one's own request ("Re: Update my mailing address":
    "any progress? it still goes to the old place") names the request in the thread's title
    only: where the new text nudges (_reminds), the rights the title asks for, read alone.
    So does a reminder whose writer titled it ("Accès à mes renseignements personnels":
    "toujours aucune nouvelle depuis le 4 avril"), where the whole message, mostly a nudge,
    scores no right (*asked*: it scores one). They rest on a title (a reply's chosen by the
    thread's first writer): the ticket is left to an officer (not confident)."""
    if not subject.strip():
        return []
    if not REPLY_SUBJECT.match(subject) and (asked or len(body.split()) > NUDGE_WORDS):
        return []  # the writer's own title was read with the text, which gave a right or said much
    if not _reminds(body, _FOLLOWING_UP):
        return []
    return classify_request(re.sub(_PREFIXES, "", subject, flags=re.I)).labels


_FRENCH_NE = re.compile(r"\b(ne|n')\s*(me\s+|m'|les\s+|l')?$")
# "ne supprimez pas", and with an adverb between: "ne supprimez surtout pas", "donc pas"
_FRENCH_PAS = re.compile(
    r"^\S+\s+((surtout|donc|absolument|vraiment|simplement|toujours|encore|certainement)\s+)?"
    r"(pas|jamais|point|plus)\b"
)


def _is_french_negated(before: str, cue_onwards: str) -> bool:
    """French puts the verb between "ne" and "pas": "ne supprimez pas mon compte"."""
    return bool(_FRENCH_NE.search(before)) and bool(_FRENCH_PAS.match(cue_onwards))


def _only_after_retraction(body: str, retraction: re.Match[str] | None, found: list[str]) -> bool:
    """True when a label's cue comes after the retraction, in another clause ("never mind
    that, but unsubscribe me"); "disregard my request to unsubscribe" takes it back."""
    if retraction is None:
        return False
    positions = [body.find(cue) for cue in found if not cue.startswith("negated")]
    return any(
        _CLAUSE_BREAK.search(body, retraction.end(), at) is not None
        for at in positions
        if at > retraction.end()
    )
