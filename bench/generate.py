"""Realistic people for the benchmarks: names from many cultures (with their accents), emails
derived from the names, E.164 phones from eight countries, a mix of statuses and dates.

Rows are made one at a time from a seeded ``random.Random``, so a million of them stream in
batches without ever being held in memory together. The derived columns (``search_text``,
``sort_name``, ``search_key``) come from the same functions the mapper events use.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any

import phonenumbers

from usher.models.user import Gender, UserStatus, search_key_of, search_text_of, sort_name_of


@dataclass(frozen=True)
class Culture:
    weight: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    regions: tuple[str, ...]  # where their phone numbers mostly come from


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


# Within a list, earlier names are more common (Zipf-like weights below).
CULTURES: dict[str, Culture] = {
    "english": Culture(
        24,
        _names(
            "Mary, Jennifer, Emma, Olivia, Sarah, Elizabeth, Jessica, Emily, Grace, Hannah, "
            "Charlotte, Amelia, Chloe, Sophie, Ada, Karen, Linda, Susan, Megan, Isla, Siobhán, "
            "Niamh, Zoë, Abigail, Rebecca, Lauren"
        ),
        _names(
            "James, John, Michael, William, David, Robert, Thomas, Daniel, Oliver, Jack, Harry, "
            "George, Noah, Liam, Charles, Joseph, Matthew, Andrew, Alan, Samuel, Seán, Ciarán, "
            "Benjamin, Ethan, Ryan"
        ),
        _names(
            "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Taylor, Anderson, "
            "Thomas, Moore, Martin, Jackson, Thompson, White, Harris, Clark, Lewis, Walker, "
            "Robinson, Young, King, Wright, Scott, Green, Baker, Adams, Hill, Evans, Hughes, "
            "Edwards, O'Brien, O'Connor, Murphy, Kelly, MacDonald, Lovelace, Hopper, Turing"
        ),
        ("US", "GB"),
    ),
    "spanish": Culture(
        12,
        _names(
            "María, Carmen, Ana, Lucía, Sofía, Valentina, Camila, Isabel, Inés, Begoña, "
            "Ximena, Paula, Daniela, Mónica, Pilar, Elena, Guadalupe, Rocío"
        ),
        _names(
            "José, Juan, Luis, Carlos, Jorge, Miguel, Alejandro, Andrés, Javier, Raúl, Íñigo, "
            "Sergio, Pablo, Diego, Fernando, Tomás, Álvaro, Joaquín"
        ),
        _names(
            "García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez, "
            "Torres, Flores, Rivera, Gómez, Díaz, Muñoz, Álvarez, Jiménez, Romero, Castillo, "
            "Núñez, Peña, Ibáñez, Ortega, Vázquez, de la Cruz"
        ),
        ("ES", "US"),
    ),
    "portuguese": Culture(
        5,
        _names("Maria, Ana, Beatriz, Mariana, Letícia, Luíza, Conceição, Júlia, Fernanda, Inês"),
        _names("João, Pedro, Gonçalo, Thiago, Vinícius, Caio, Lucas, Rafael, Gustavo, António"),
        _names(
            "Silva, Santos, Oliveira, Souza, Pereira, Costa, Carvalho, Araújo, Gonçalves, "
            "Magalhães, Simões, Ferreira, Rodrigues, Almeida, Lima"
        ),
        ("BR",),
    ),
    "french": Culture(
        6,
        _names(
            "Amélie, Hélène, Élodie, Céline, Chloé, Gaëlle, Léa, Anaïs, Noémie, Camille, "
            "Manon, Brigitte, Françoise, Margaux"
        ),
        _names(
            "François, Jérôme, Benoît, Loïc, Théo, Maël, Hugo, Louis, Julien, Nicolas, "
            "Stéphane, Frédéric, Rémi, Gaël"
        ),
        _names(
            "Martin, Bernard, Dubois, Lefèvre, Moreau, Laurent, Girard, Rousseau, Fontaine, "
            "Chevalier, Lemaître, Bérenger, Gauthier, Mercier, Faure, Leclerc, Benoît"
        ),
        ("FR",),
    ),
    "german": Culture(
        7,
        _names(
            "Anna, Lena, Katharina, Sabine, Ute, Käthe, Anja, Julia, Laura, Lea, Jana, "
            "Hannelore, Brigitte, Sophie"
        ),
        _names(
            "Jürgen, Jörg, Günther, Lukas, Maximilian, Matthias, Felix, Leon, Paul, Stefan, "
            "Andreas, Tobias, Uwe, Klaus"
        ),
        _names(
            "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schäfer, "
            "Koch, Bauer, Richter, Köhler, Groß, Weiß, Krüger, Hoffmann, Schulz, Zimmermann, "
            "Braun, Hartmann, von Weizsäcker"
        ),
        ("DE",),
    ),
    "nordic": Culture(
        3,
        _names("Åsa, Ingrid, Astrid, Freja, Sigríður, Sigrún, Maja, Liv, Märta, Björk"),
        _names("Søren, Ólafur, Lars, Magnus, Henrik, Nils, Björn, Anders, Mikael, Håkon"),
        _names(
            "Andersen, Nielsen, Hansen, Johansson, Karlsson, Lindqvist, Sørensen, Ångström, "
            "Gunnarsdóttir, Jónsson, Håkansson, Østergaard, Virtanen, Mäkinen, Bergström"
        ),
        ("DE", "GB"),
    ),
    "slavic": Culture(
        5,
        _names(
            "Małgorzata, Zofia, Agnieszka, Tereza, Ivana, Katarzyna, Olga, Natalia, Tatiana, "
            "Yulia, Oksana, Milena"
        ),
        _names(
            "Łukasz, Paweł, Wojciech, Grzegorz, Jiří, Dušan, Vojtěch, Dmitri, Sergei, "
            "Alexei, Mykola, Bogdan"
        ),
        _names(
            "Nowak, Kowalski, Wiśniewski, Wójcik, Kamińska, Lewandowski, Dvořák, Novák, "
            "Černá, Procházka, Jovanović, Petrović, Ivanov, Smirnova, Kuznetsov, Popova, "
            "Shevchenko, Kovalenko, Bondarenko"
        ),
        ("DE", "GB"),
    ),
    "italian_greek": Culture(
        5,
        _names("Francesca, Giulia, Chiara, Alessia, Sara, Martina, Eleni, Katerina, Sofia"),
        _names("Giuseppe, Lorenzo, Niccolò, Matteo, Marco, Alessandro, Giorgos, Dimitris, Nikos"),
        _names(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, "
            "De Luca, Lucà, Papadopoulos, Georgiou, Nikolaidis, Konstantinou"
        ),
        ("FR", "DE", "GB"),
    ),
    "hungarian_turkish": Culture(
        3,
        _names("Erzsébet, Krisztina, Zsófia, Çağla, Şule, Ayşe, Özlem, Elif"),
        _names("Zoltán, Ádám, Gábor, Emre, Gökhan, Mehmet, Burak, İbrahim"),
        _names(
            "Nagy, Kovács, Tóth, Szabó, Horváth, Kiss, Yılmaz, Kaya, Demir, "  # noqa: RUF001
            "Şahin, Çelik, Yıldız, Öztürk, Aydın, Doğan"  # noqa: RUF001
        ),
        ("DE",),
    ),
    "dutch": Culture(
        2,
        _names("Sanne, Femke, Anouk, Eline, Maartje"),
        _names("Joost, Maarten, Daan, Sem, Bram, Sjoerd"),
        _names("de Vries, van den Berg, Jansen, Bakker, van Dijk, Visser, de Jong, Smit, Mulder"),
        ("DE", "GB"),
    ),
    "indian": Culture(
        8,
        _names("Priya, Ananya, Lakshmi, Divya, Kavya, Deepika, Aishwarya, Sneha, Pooja, Meera"),
        _names("Aarav, Rohan, Vikram, Arjun, Sanjay, Rahul, Amit, Karthik, Siddharth, Vivek"),
        _names(
            "Sharma, Patel, Singh, Kumar, Gupta, Reddy, Iyer, Nair, Mukherjee, Desai, "
            "Chatterjee, Rao, Joshi, Menon, Banerjee"
        ),
        ("IN", "US", "GB"),
    ),
    "chinese": Culture(
        6,
        _names("Fang, Jing, Mei, Xiu Ying, Li Na, Yan, Hui, Xin"),
        _names("Wei, Jun, Xiaoming, Zhiwei, Hao, Jian, Lei, Yang"),
        _names("Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Lü"),
        ("US", "GB"),
    ),
    "japanese_korean": Culture(
        4,
        _names("Yui, Aoi, Hina, Sakura, Yūko, Seo-yeon, Ha-eun, Ji-woo"),
        _names("Haruto, Sōta, Ren, Kenji, Takumi, Yūki, Min-jun, Do-yoon, Ji-ho"),
        _names(
            "Satō, Suzuki, Takahashi, Tanaka, Watanabe, Itō, Yamamoto, Nakamura, Kobayashi, "
            "Katō, Kim, Lee, Park, Choi, Jung"
        ),
        ("JP", "US"),
    ),
    "vietnamese": Culture(
        2,
        _names("Thảo, Lan, Ngọc, Hương, Linh, Trang"),
        _names("Minh, Huy, Tuấn, Dũng, Quang, Đức"),
        _names("Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Võ, Đặng, Bùi"),
        ("US", "FR"),
    ),
    "arabic": Culture(
        4,
        _names("Fatima, Aisha, Layla, Mariam, Nour, Yasmin, Salma, Zeynab"),
        _names("Mohammed, Ahmed, Omar, Youssef, Khalid, Ali, Hassan, Karim"),
        _names(
            "Al-Sayed, Haddad, Khoury, Mansour, Nasser, Hussein, Abdullah, El-Amin, Saleh, "
            "Farouk, Benali"
        ),
        ("FR", "GB", "DE"),
    ),
    "west_african": Culture(
        3,
        _names("Ngozi, Adaeze, Ama, Folake, Abena, Chiamaka, Yetunde"),
        _names("Chinedu, Oluwaseun, Kwame, Emeka, Kofi, Tunde, Babajide"),
        _names(
            "Okafor, Adeyemi, Okonkwo, Mensah, Boateng, Nwosu, Balogun, Asante, Owusu, Eze, Adebayo"
        ),
        ("GB", "US"),
    ),
}

ORG_DOMAINS = (("northwind.example", 80), ("northwind-labs.example", 12), ("nw-ext.example", 8))
PERSONAL_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
    "hotmail.co.uk",
    "web.de",
    "gmx.de",
    "orange.fr",
    "libero.it",
    "uol.com.br",
    "rediffmail.com",
)
POSITIONS = _names(
    "Software Engineer, Senior Software Engineer, Product Manager, Designer, Data Analyst, "
    "Account Executive, Account Manager, Customer Success Manager, Support Specialist, "
    "Recruiter, HR Business Partner, Accountant, Financial Controller, Legal Counsel, "
    "Marketing Manager, Content Writer, Sales Development Representative, Team Lead, "
    "Engineering Manager, Operations Coordinator, Warehouse Associate, Driver, Nurse, "
    "Office Manager, Intern, Director, Vice President, Chief of Staff"
)
# Mobile number prefixes (national significant number without its last four digits) by
# region; each generated prefix is kept only if libphonenumber calls the numbers valid.
_PHONE_PREFIXES: dict[str, tuple[str, Any]] = {
    "US": (
        "1",
        lambda r: (
            r.choice(
                ("201", "202", "206", "212", "213", "303", "305", "312", "404", "415", "512", "617")
            )
            + str(r.randint(2, 9))
            + f"{r.randint(0, 99):02d}"
        ),
    ),
    "GB": ("44", lambda r: "7" + r.choice("4579") + f"{r.randint(0, 9999):04d}"),
    "DE": (
        "49",
        lambda r: (
            "1"
            + r.choice(("51", "52", "57", "60", "62", "70", "71", "72", "76", "79"))
            + f"{r.randint(0, 9999):04d}"
        ),
    ),
    "FR": ("33", lambda r: r.choice("67") + f"{r.randint(0, 9999):04d}"),
    "ES": ("34", lambda r: r.choice("67") + f"{r.randint(0, 9999):04d}"),
    "BR": ("55", lambda r: r.choice(("11", "21", "31", "41", "51")) + f"9{r.randint(0, 9999):04d}"),
    "IN": ("91", lambda r: r.choice("6789") + f"{r.randint(0, 99999):05d}"),
    "JP": ("81", lambda r: r.choice(("70", "80", "90")) + f"{r.randint(0, 9999):04d}"),
}
# A stand-in Argon2 hash: active users need one, nobody signs in with it.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2htYXJrLXNhbHQ$" + "x" * 43
STATUS_WEIGHTS = ((UserStatus.active, 70), (UserStatus.pending, 20), (UserStatus.disabled, 10))
_FOLD = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "\u0131": "i", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th"}
)


@cache
def ascii_fold(text: str) -> str:
    """``Łukasz Wiśniewski`` → ``lukasz wisniewski``: how people spell their names in emails."""
    text = text.casefold().translate(_FOLD)
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


@cache
def email_part(name: str, keep: str = "") -> str:
    """A name as it appears in an email's local part: ``O'Brien`` → ``obrien``."""
    return "".join(ch for ch in ascii_fold(name) if ch.isalnum() or ch in keep)


class Picker:
    """Weighted choice with precomputed cumulative weights (fast enough for millions)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    @classmethod
    def zipf(cls, items: Sequence[Any], exponent: float = 0.8) -> Picker:
        return cls(items, [1 / (rank + 1) ** exponent for rank in range(len(items))])

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.total, 0, len(self.cum) - 1)]


class Phones:
    def __init__(self, rng: random.Random, prefixes_per_region: int = 200) -> None:
        self.rng = rng
        self.prefixes: dict[str, list[str]] = {}
        for region, (code, make) in _PHONE_PREFIXES.items():
            found: list[str] = []
            while len(found) < prefixes_per_region:
                prefix = f"+{code}{make(rng)}"
                if all(_is_valid(f"{prefix}{rng.randint(0, 9999):04d}") for _ in range(3)):
                    found.append(prefix)
            self.prefixes[region] = found

    def make(self, region: str) -> str:
        return f"{self.rng.choice(self.prefixes[region])}{self.rng.randint(0, 9999):04d}"


def _is_valid(e164: str) -> bool:
    return bool(phonenumbers.is_valid_number(phonenumbers.parse(e164)))


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    gender: Gender
    region: str


class People:
    """Makes user rows for one organization; emails stay unique within it."""

    def __init__(
        self,
        rng: random.Random,
        *,
        organization_id: uuid.UUID,
        org_domains: Sequence[tuple[str, float]] = ORG_DOMAINS,
        unit_ids: Sequence[uuid.UUID] = (),
        inviter_id: uuid.UUID | None = None,
        now: datetime | None = None,
        taken_emails: Sequence[str] = (),
    ) -> None:
        self.rng = rng
        self.organization_id = organization_id
        self.now = now or datetime.now(UTC)
        self.inviter_id = inviter_id
        self.phones = Phones(rng)
        self.cultures = Picker(list(CULTURES.values()), [c.weight for c in CULTURES.values()])
        self.first = {
            id(c): (Picker.zipf(c.female), Picker.zipf(c.male)) for c in CULTURES.values()
        }
        self.last = {id(c): Picker.zipf(c.last) for c in CULTURES.values()}
        self.domains = Picker([d for d, _ in org_domains], [w for _, w in org_domains])
        self.units = Picker.zipf(list(unit_ids), 0.5) if unit_ids else None
        self.positions = Picker.zipf(POSITIONS, 0.6)
        self.statuses = Picker([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])
        self.regions = list(_PHONE_PREFIXES)
        self.used: dict[str, int] = {e.lower(): 1 for e in taken_emails}

    def person(self) -> Person:
        rng = self.rng
        culture: Culture = self.cultures.pick(rng)
        gender = Gender.female if rng.random() < 0.5 else Gender.male
        female, male = self.first[id(culture)]
        first: str = (female if gender == Gender.female else male).pick(rng)
        # One in ten carries a family name from elsewhere (marriage, migration).
        last_culture: Culture = culture if rng.random() < 0.9 else self.cultures.pick(rng)
        last: str = self.last[id(last_culture)].pick(rng)
        if rng.random() < 0.04:  # double-barrelled
            last = f"{last}-{self.last[id(culture)].pick(rng)}"
        stored = gender if rng.random() < 0.6 else rng.choice((Gender.unspecified, Gender.other))
        if stored == Gender.other and rng.random() < 0.9:
            stored = Gender.unspecified
        region = rng.choice(culture.regions) if rng.random() < 0.75 else rng.choice(self.regions)
        return Person(first, last, stored, region)

    def email(self, first: str, last: str) -> str:
        rng = self.rng
        f, lst = email_part(first), email_part(last, keep="-")
        roll = rng.random()
        if roll < 0.55:
            local = f"{f}.{lst}"
        elif roll < 0.8:
            local = f"{f[0]}{lst}"
        elif roll < 0.9:
            local = f"{f}_{lst}"
        elif roll < 0.95:
            local = f"{f}{lst[0]}"
        else:
            local = f"{lst}.{f}"
        domain: str = self.domains.pick(rng)
        address = f"{local}@{domain}"
        seen = self.used.get(address)
        if seen is None:
            self.used[address] = 1
            return address
        # Numeric suffixes as real directories do: john.smith2, john.smith3, ...
        while True:
            seen += 1
            candidate = f"{local}{seen}@{domain}"
            if candidate not in self.used:
                self.used[address] = seen
                self.used[candidate] = 1
                return candidate

    def personal_email(self, first: str, last: str) -> str:
        rng = self.rng
        f, lst = email_part(first), email_part(last)
        tail = str(rng.randint(1960, 2005)) if rng.random() < 0.5 else str(rng.randint(1, 999))
        local = rng.choice((f"{f}.{lst}{tail}", f"{f}{tail}", f"{f[0]}{lst}{tail}"))
        return f"{local}@{rng.choice(PERSONAL_DOMAINS)}"

    def _days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def row(self) -> dict[str, Any]:
        rng = self.rng
        person = self.person()
        first, last = person.first_name, person.last_name
        email = self.email(first, last)
        personal = self.personal_email(first, last) if rng.random() < 0.35 else None
        phone = self.phones.make(person.region) if rng.random() < 0.65 else None
        status: UserStatus = self.statuses.pick(rng)
        registered_at: datetime | None = None
        last_activity_at: datetime | None = None
        if status == UserStatus.pending:
            # Most invitations are recent; some were never taken up and linger.
            age = rng.uniform(0, 60) if rng.random() < 0.8 else rng.uniform(60, 900)
            created_at = self._days_ago(age)
        else:
            registered = status == UserStatus.active or rng.random() < 0.75
            # Seven years of growth, more people recently.
            joined = self._days_ago(7 * 365 * rng.random() ** 1.4)
            created_at = joined - timedelta(hours=rng.uniform(0.2, 240))
            if registered:
                registered_at = joined
                if rng.random() < 0.93:  # the rest registered and never came back
                    until = self.now
                    if status == UserStatus.disabled:  # active until they left
                        until = joined + (self.now - joined) * rng.random()
                    last_activity_at = until - (until - joined) * rng.random() ** 3
            else:
                created_at = joined
        user_id = uuid.UUID(int=rng.getrandbits(128), version=4)  # reproducible by seed
        birthday = None
        if rng.random() < 0.5:
            birthday = date(rng.randint(1958, 2004), rng.randint(1, 12), rng.randint(1, 28))
        return {
            "id": user_id,
            "organization_id": self.organization_id,
            "first_name": first,
            "last_name": last,
            "gender": person.gender,
            "birthday": birthday,
            "email": email,
            "personal_email": personal,
            "phone": phone,
            "org_unit_id": self.units.pick(rng) if self.units and rng.random() < 0.9 else None,
            "position": self.positions.pick(rng) if rng.random() < 0.7 else None,
            "status": status,
            "password_hash": PASSWORD_HASH if registered_at else None,
            "registered_at": registered_at,
            "last_activity_at": last_activity_at,
            "invited_by_id": self.inviter_id if rng.random() < 0.6 else None,
            "created_at": created_at,
            "search_text": search_text_of(first, last, email, personal, phone),
            "sort_name": sort_name_of(first, last),
            "search_key": search_key_of(user_id),
        }

    def batches(self, total: int, size: int) -> Iterator[list[dict[str, Any]]]:
        made = 0
        while made < total:
            n = min(size, total - made)
            yield [self.row() for _ in range(n)]
            made += n


def memberships(
    rng: random.Random, user_ids: Sequence[uuid.UUID], team_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """About 55% of people in one team, 15% in two (team sizes Zipf-like)."""
    if not team_ids:
        return []
    teams = Picker.zipf(list(team_ids), 0.7)
    rows: list[dict[str, Any]] = []
    for user_id in user_ids:
        roll = rng.random()
        count = 2 if roll < 0.15 else 1 if roll < 0.7 else 0
        chosen: set[uuid.UUID] = set()
        while len(chosen) < count:
            chosen.add(teams.pick(rng))
        rows.extend({"team_id": t, "user_id": user_id} for t in chosen)
    return rows
