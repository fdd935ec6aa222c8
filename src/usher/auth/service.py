"""Sign-in, sessions, API tokens and password reset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from usher.access.catalogue import PERMISSIONS
from usher.access.service import access_of, is_org_admin, member_scope, system_scope
from usher.audit.service import record
from usher.auth import passwords
from usher.auth import repository as auth_repo
from usher.errors import (
    InvalidCredentials,
    NotAuthenticated,
    RateLimited,
    ResetLinkInvalid,
    ValidationFailed,
)
from usher.kit import clock
from usher.kit.client import ClientInfo
from usher.kit.context import limiter_of, settings_of
from usher.kit.tokens import hash_token, new_token
from usher.mail import outbox
from usher.models import ApiToken, Organization, PasswordReset, User, UserSession
from usher.models.user import UserStatus
from usher.orgs import repository as orgs_repo
from usher.users import repository as users_repo

# Last-seen and last-activity times are written at most this often, never on every request.
ACTIVITY_WRITE_INTERVAL = timedelta(minutes=1)
INVALID_CREDENTIALS = "The organization, email or password is incorrect."
# The one answer to a reset request, whether or not the account exists.
RESET_REQUESTED = (
    "If an active account with that email exists in that organization, a reset link is on its way."
)


@dataclass(frozen=True)
class Authenticated:
    user: User
    session: UserSession | None = None
    api_token: ApiToken | None = None


# --- sessions ---------------------------------------------------------------------------


def start_session(session: Session, user: User, *, client: ClientInfo) -> tuple[str, UserSession]:
    """A new session (and so a new cookie value) at every sign-in."""
    settings = settings_of(session)
    now = clock.now()
    token = new_token()
    user_session = UserSession(
        organization_id=user.organization_id,
        user_id=user.id,
        token_hash=hash_token(token),
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        ip=client.ip,
        user_agent=(client.user_agent or "")[:400] or None,
    )
    session.add(user_session)
    _touch_activity(user, now)
    session.flush()
    return token, user_session


def authenticate_session(session: Session, token: str) -> Authenticated:
    found = auth_repo.get_session_by_hash(session, hash_token(token))
    if found is None:
        raise NotAuthenticated("Your session has ended. Sign in again.")
    user_session, user = found
    now = clock.now()
    idle = timedelta(minutes=settings_of(session).session_idle_minutes)
    if (
        user_session.revoked_at is not None
        or user_session.expires_at <= now
        or user_session.last_seen_at + idle <= now
        or user.status != UserStatus.active
    ):
        raise NotAuthenticated("Your session has ended. Sign in again.")
    if now - user_session.last_seen_at >= ACTIVITY_WRITE_INTERVAL:
        user_session.last_seen_at = now
    _touch_activity(user, now)
    return Authenticated(user=user, session=user_session)


def end_session(session: Session, auth: Authenticated, *, client: ClientInfo) -> None:
    if auth.session is not None and auth.session.revoked_at is None:
        auth.session.revoked_at = clock.now()
        record(
            session,
            organization_id=auth.user.organization_id,
            actor=auth.user,
            action="auth.logout",
            client=client,
            target=auth.user,
        )


def _touch_activity(user: User, now: datetime) -> None:
    if user.last_activity_at is None or now - user.last_activity_at >= ACTIVITY_WRITE_INTERVAL:
        user.last_activity_at = now


# --- API tokens -------------------------------------------------------------------------


def create_api_token(
    session: Session,
    actor: User,
    *,
    name: str,
    expires_in_days: int | None = None,
    client: ClientInfo,
) -> tuple[str, ApiToken]:
    """A token for the actor themself; the plain value is returned once and never stored."""
    if actor.status != UserStatus.active:
        raise ValidationFailed.field("user", "Only active users can hold API tokens.")
    token = "ush_" + new_token()
    now = clock.now()
    api_token = ApiToken(
        organization_id=actor.organization_id,
        user_id=actor.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:10],
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(api_token)
    session.flush()
    record(
        session,
        organization_id=actor.organization_id,
        actor=actor,
        action="api_token.created",
        client=client,
        target_type="api_token",
        target_id=api_token.id,
        target_label=name,
        details={"prefix": api_token.prefix},
    )
    return token, api_token


def authenticate_api_token(session: Session, token: str) -> Authenticated:
    found = auth_repo.get_api_token_by_hash(session, hash_token(token))
    now = clock.now()
    if found is None:
        raise NotAuthenticated("The API token is not valid.")
    api_token, user = found
    if (
        api_token.revoked_at is not None
        or (api_token.expires_at is not None and api_token.expires_at <= now)
        or user.status != UserStatus.active
    ):
        raise NotAuthenticated("The API token is not valid.")
    if api_token.last_used_at is None or now - api_token.last_used_at >= ACTIVITY_WRITE_INTERVAL:
        api_token.last_used_at = now
    _touch_activity(user, now)
    return Authenticated(user=user, api_token=api_token)


# --- sign-in ----------------------------------------------------------------------------


def login(
    session: Session, *, organization: str, email: str, password: str, client: ClientInfo
) -> tuple[str, User]:
    """Check credentials and start a session. Every outcome answers the same and is audited."""
    settings = settings_of(session)
    _check_limits(
        session,
        "auth.login",
        organization=organization,
        email=email,
        client=client,
        ip_rule=(settings.rate_limit_login_ip, "login-ip"),
        account_rule=(settings.rate_limit_login_account, "login-account"),
    )

    org = orgs_repo.get_by_slug(session, organization)
    user = users_repo.find_by_email(session, system_scope(org.id), email) if org else None
    # One Argon2 verification on every path, so timing tells nothing about the account.
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.status != UserStatus.active:
        reason = (
            "unknown_organization"
            if org is None
            else "unknown_user"
            if user is None
            else f"user_{user.status.value}"
            if user.status != UserStatus.active
            else "wrong_password"
        )
        record(
            session,
            organization_id=org.id if org else None,
            actor=None,
            actor_label=email.strip().lower()[:320],
            action="auth.login",
            outcome="failure",
            client=client,
            target=user,
            details={"reason": reason},
        )
        raise InvalidCredentials(INVALID_CREDENTIALS)
    assert user.password_hash is not None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    token, _ = start_session(session, user, client=client)
    record(
        session,
        organization_id=user.organization_id,
        actor=user,
        action="auth.login",
        client=client,
        target=user,
    )
    return token, user


def _check_limits(
    session: Session,
    action: str,
    *,
    organization: str,
    email: str,
    client: ClientInfo,
    ip_rule: tuple[str, str],
    account_rule: tuple[str, str],
) -> None:
    """Count the attempt per IP and per account (organization + email, whatever the IP).

    A refused attempt is audited too (RateLimited keeps the work, so the event is committed).
    """
    limiter = limiter_of(session)
    try:
        limiter.hit(*ip_rule, client.ip)
        limiter.hit(*account_rule, f"{organization.strip().lower()}:{email.strip().lower()}")
    except RateLimited:
        org = orgs_repo.get_by_slug(session, organization)
        record(
            session,
            organization_id=org.id if org else None,
            actor=None,
            actor_label=email.strip().lower()[:320],
            action=action,
            outcome="failure",
            client=client,
            details={"reason": "rate_limited"},
        )
        raise


# --- password reset ---------------------------------------------------------------------


def request_password_reset(
    session: Session, *, organization: str, email: str, client: ClientInfo
) -> None:
    """Mail a reset link if the account exists; the caller learns nothing either way."""
    settings = settings_of(session)
    _check_limits(
        session,
        "auth.password_reset_requested",
        organization=organization,
        email=email,
        client=client,
        ip_rule=(settings.rate_limit_reset_ip, "reset-ip"),
        account_rule=(settings.rate_limit_reset_account, "reset-account"),
    )
    org = orgs_repo.get_by_slug(session, organization)
    user = users_repo.find_by_email(session, system_scope(org.id), email) if org else None
    if org is None or user is None or user.status != UserStatus.active:
        return
    token = new_token()
    now = clock.now()
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=now + timedelta(minutes=settings.password_reset_minutes),
        )
    )
    outbox.enqueue_template(
        session,
        organization_id=org.id,
        kind="password_reset",
        to=user.email,
        template="password_reset",
        context={
            "user": user,
            "organization": org,
            "url": f"{settings.base_url}/reset/{token}",
            "minutes": settings.password_reset_minutes,
        },
    )
    record(
        session,
        organization_id=org.id,
        actor=None,
        actor_label=user.email,
        action="auth.password_reset_requested",
        client=client,
        target=user,
    )


def reset_password(session: Session, *, token: str, password: str, client: ClientInfo) -> User:
    """Set a new password with a single-use link; every session of the user ends."""
    reset = auth_repo.get_password_reset(session, hash_token(token))
    now = clock.now()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise ResetLinkInvalid("This reset link is invalid, used or expired. Ask for a new one.")
    user = session.get(User, reset.user_id)
    if user is None or user.status != UserStatus.active:
        raise ResetLinkInvalid("This reset link is invalid, used or expired. Ask for a new one.")
    org = session.get(Organization, user.organization_id)
    passwords.check_policy(password, context=_password_context(user, org))
    new_hash = passwords.hash_password(password)
    if auth_repo.consume_password_reset(session, reset.token_hash, now) is None:
        raise ResetLinkInvalid("This reset link is invalid, used or expired. Ask for a new one.")
    user.password_hash = new_hash
    # Other links mailed earlier die with this one: the password they would reset is gone.
    auth_repo.close_password_resets_for_user(session, user.id, now)
    auth_repo.revoke_sessions_for_user(session, user.id, now)
    record(
        session,
        organization_id=user.organization_id,
        actor=user,
        action="auth.password_reset",
        client=client,
        target=user,
    )
    return user


def _password_context(user: User, org: Organization | None) -> list[str]:
    items = [user.first_name, user.last_name, user.email, user.personal_email or ""]
    if org is not None:
        items += [org.name, org.slug]
    return items


password_context = _password_context


@dataclass(frozen=True)
class Me:
    user: User
    organization: Organization
    is_org_admin: bool
    # Usher's own permissions the user holds somewhere (the organization or some org units):
    # what the pages offer them.
    permissions: frozenset[str] = frozenset()


def me(session: Session, actor: User) -> Me:
    held = access_of(session, actor)
    permissions = frozenset(p for p in PERMISSIONS if held.unit_scopes(p) != set())
    return Me(
        actor,
        orgs_repo.get(session, member_scope(actor)),
        is_org_admin(session, actor),
        permissions,
    )
