"""People pages: the staff of a business and their invitations, my alert settings, my account (two-factor,
sessions), password reset, accepting an invitation, and the sandbox mailbox.

Every business page reaches its business through `business_or_404` with the action it needs; its objects
(a member, an invitation, a mail) are then looked up inside that business, so another tenant's ids are 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from textback.accounts import invitations, sessions, signin, staff, two_factor
from textback.accounts.access import business_or_404, can
from textback.accounts.forms import AcceptForm, CodeForm, InviteForm, LinesForm, MySettingsForm, RoleForm
from textback.accounts.mail import in_sandbox
from textback.accounts.models import Invitation, Membership
from textback.accounts.passwords import NewPasswordForm, ResetForm
from textback.alerts import verify
from textback.lib import keyset, phone
from textback.providers.models import SANDBOX, Line
from textback.providers.sandbox.models import SandboxEmail
from textback.providers.sandbox.views import simulator_url

MAILBOX_PAGE = 50
WRONG_CODE = "That code is not right. Type the 6 digits your authenticator shows now, or one of your recovery codes."
UNREADABLE_CODE = (
    "That is not one of your unused recovery codes, and codes from your authenticator app cannot be checked right "
    "now: type a recovery code."
)


# --- the sandbox mailbox ------------------------------------------------------------------------------


def _mails(request, business):
    """What this person may read, newest first: mails to them (for this business, or personal ones such as a
    password reset); owners also read every mail sent for the business (the invitations they sent). Nobody
    reads another person's reset link or alert: in the sandbox that link is the account."""
    me = (request.user.email or request.user.get_username()).lower()
    to_me = Q(to__icontains=f'"{me}"')  # the JSON text of the list holds each address quoted
    if can(request.membership, "manage_staff"):
        return SandboxEmail.objects.filter(Q(business=business) | (Q(business=None) & to_me))
    return SandboxEmail.objects.filter((Q(business=business) | Q(business=None)) & to_me)


def _mailbox_page(request, business) -> dict:
    """One page of the mailbox, newest first, below the `before` cursor of an "Older mails" link."""
    raw = request.GET.get("before", "")
    before = keyset.Cursor.parse(raw)
    mails, after = keyset.page(_mails(request, business), "sent_at", before, MAILBOX_PAGE)
    return {
        "mails": mails,
        "older": after.encode() if after else "",
        "paged": before is not None,
        "broken_link": bool(raw) and before is None,
    }


@login_required
def mailbox(request, slug: str):
    business = business_or_404(request, slug)
    context = {"business": business, "sandbox": in_sandbox()}
    if context["sandbox"]:
        context.update(_mailbox_page(request, business))
    return render(request, "accounts/mailbox.html", context)


@login_required
def mail(request, slug: str, pk: int):
    business = business_or_404(request, slug)
    message = get_object_or_404(_mails(request, business), pk=pk)
    return render(request, "accounts/mail.html", {"business": business, "mail": message, "sandbox": in_sandbox()})


# --- staff and invitations (owners) -------------------------------------------------------------------


def _staff_page(request, business, invite_form=None, status=200):
    members = (
        Membership.objects.filter(business=business)
        .select_related("user")
        .prefetch_related(Prefetch("lines", queryset=Line.objects.order_by("number")))
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    context = {
        "business": business,
        "members": members,
        "invitations": invitations.pending_for(business).select_related("invited_by"),
        "invite_form": invite_form or InviteForm(),
        "line_count": Line.objects.filter(business=business).count(),
        "now": timezone.now(),
    }
    return render(request, "accounts/staff.html", context, status=status)


@login_required
def staff_page(request, slug: str):
    return _staff_page(request, business_or_404(request, slug, "manage_staff"))


@login_required
@require_POST
def invite(request, slug: str):
    business = business_or_404(request, slug, "manage_staff")
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, business, form, status=400)
    try:
        with transaction.atomic():
            email = invitations.check_invite(business, form.cleaned_data["email"], form.cleaned_data["role"])
            invitation = invitations.do_invite(business, email, form.cleaned_data["role"], request.user)
    except invitations.Refused as refused:
        form.add_error("email", str(refused))
        return _staff_page(request, business, form, status=400)
    messages.success(request, f"Invitation sent to {invitation.email}. The link works once, for 7 days.")
    return redirect("staff", slug=business.slug)


def _invitation(request, slug: str, pk: int) -> Invitation:
    business = business_or_404(request, slug, "manage_staff")
    return get_object_or_404(Invitation.objects.select_related("business"), business=business, pk=pk)


@login_required
@require_POST
def invitation_resend(request, slug: str, pk: int):
    invitation = _invitation(request, slug, pk)
    try:
        with transaction.atomic():
            invitations.do_resend(invitation, request.user)
    except invitations.Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"A new link was sent to {invitation.email}; the earlier one no longer works.")
    return redirect("staff", slug=slug)


@login_required
@require_POST
def invitation_revoke(request, slug: str, pk: int):
    invitation = _invitation(request, slug, pk)
    try:
        with transaction.atomic():
            invitations.do_revoke(invitation)
    except invitations.Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"The invitation to {invitation.email} is withdrawn; its link no longer works.")
    return redirect("staff", slug=slug)


def _member(request, slug: str, pk: int) -> Membership:
    business = business_or_404(request, slug, "manage_staff")
    membership = get_object_or_404(Membership.objects.select_related("user"), business=business, pk=pk)
    membership.business = business  # the one that knows the signed-in member (the page's header uses it)
    return membership


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.get_username()


@login_required
def member(request, slug: str, pk: int):
    membership = _member(request, slug, pk)
    business = membership.business
    role_form = RoleForm(request.POST or None, initial={"role": membership.role})
    lines_form = LinesForm(request.POST or None, business=business, initial={"lines": membership.lines.all()})
    status = 200
    if request.method == "POST":
        if role_form.is_valid() and lines_form.is_valid():
            try:
                with transaction.atomic():
                    staff.do_change_role(membership, role_form.cleaned_data["role"])
                    staff.do_set_lines(membership, list(lines_form.cleaned_data["lines"]))
            except staff.Refused as refused:
                role_form.add_error("role", str(refused))
            else:
                messages.success(request, f"Saved {_name(membership)}'s role and lines.")
                return redirect("staff", slug=business.slug)
        status = 400
    context = {"business": business, "member": membership, "role_form": role_form, "lines_form": lines_form}
    return render(request, "accounts/member.html", context, status=status)


@login_required
@require_POST
def member_remove(request, slug: str, pk: int):
    membership = _member(request, slug, pk)
    try:
        with transaction.atomic():
            staff.do_remove(membership)
    except staff.Refused as refused:
        messages.error(request, str(refused))
        return redirect("member", slug=slug, pk=pk)
    if membership.user_id == request.user.pk:
        messages.success(request, f"You are no longer a member of {membership.business.name}.")
        return redirect("home")
    messages.success(request, f"{_name(membership)} is no longer a member of {membership.business.name}.")
    return redirect("staff", slug=slug)


# --- my settings (each person, per business) ----------------------------------------------------------


@login_required
def my_settings(request, slug: str):
    business = business_or_404(request, slug)
    membership = request.membership
    if request.method != "POST":
        return _my_settings_page(request, business, _phone_state(membership), MySettingsForm(instance=membership))
    state, before = _phone_state(membership), membership.phone  # as saved: the form changes the instance
    form = MySettingsForm(request.POST, instance=membership)
    if not form.is_valid():
        return _my_settings_page(request, business, state, form, status=400)
    with transaction.atomic():
        form.save()
        if membership.weekly_summary:
            from textback.reports import weekly  # the report's mail: queued once the first person opts in

            weekly.do_opted_in(business)
        sent, problem = verify.do_send_code(membership) if membership.phone not in ("", before) else (None, "")
    messages.success(request, f"Saved how {business.name} alerts you.")
    if sent:
        messages.info(request, f"We texted a code to {phone.pretty(sent.phone)}: type it below to verify your phone.")
    elif problem:
        messages.error(request, problem)
    return redirect("my-settings", slug=business.slug)


def _phone_state(membership: Membership) -> dict:
    """What the page says about the person's phone: verified, or waiting for its code (and where the code went)."""
    waiting = bool(membership.phone) and not membership.phone_is_verified
    code = verify.live_code(membership) if waiting else None
    on_simulator = code is not None and code.line is not None and code.line.account.provider == SANDBOX
    return {
        "my_phone": membership.phone,
        "phone_verified_at": membership.phone_verified_at if membership.phone_is_verified else None,
        "phone_waiting": waiting,
        "live_code": code,
        "simulator_url": simulator_url(membership.business, membership.phone) if on_simulator else "",
    }


def _my_settings_page(request, business, state: dict, form, code_form=None, status: int = 200):
    context = {"business": business, "form": form, "code_form": code_form or CodeForm(), **state}
    return render(request, "accounts/my_settings.html", context, status=status)


@login_required
@require_POST
def my_phone_code(request, slug: str):
    """Text a (new) code to my phone."""
    business = business_or_404(request, slug)
    with transaction.atomic():
        sent, problem = verify.do_send_code(request.membership)
    if sent:
        messages.success(request, f"We texted a new code to {phone.pretty(sent.phone)}.")
    else:
        messages.error(request, problem)
    return redirect("my-settings", slug=business.slug)


@login_required
@require_POST
def my_phone_verify(request, slug: str):
    """Check the code typed back: right, and my phone is verified."""
    business = business_or_404(request, slug)
    membership = request.membership
    form = CodeForm(request.POST)
    problem = "" if form.is_valid() else "Type the 6-digit code we texted to your phone."
    if not problem:
        with transaction.atomic():
            problem = verify.do_check_code(membership, form.cleaned_data["code"])
    if problem:
        form.add_error("code", problem)
        return _my_settings_page(request, business, _phone_state(membership), MySettingsForm(instance=membership),
                                 code_form=form, status=400)  # fmt: skip
    alerts = "text alerts and answering callers by text are on" if membership.alert_sms else (
        "answering callers by text works now; switch on text alerts below to get them by text")  # fmt: skip
    messages.success(request, f"Your phone {phone.pretty(membership.phone)} is verified: {alerts}.")
    return redirect("my-settings", slug=business.slug)


# --- my account: two-factor and sessions ----------------------------------------------------------------


@login_required
def account(request):
    user = request.user
    context = {
        "memberships": user.memberships.select_related("business").order_by("business__name"),
        "two_factor_on": two_factor.is_on(user),
        "authenticator_readable": two_factor.authenticator_readable(user),
        "setup": two_factor.pending_setup(user),
        "recovery_left": two_factor.recovery_codes_left(user),
        "code_form": CodeForm(),
    }
    if context["setup"]:
        context["secret"] = two_factor.secret_for_display(context["setup"])
        context["otpauth"] = two_factor.otpauth_uri(context["setup"])
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def log_out_other_sessions(request):
    ended = sessions.do_log_out_other_sessions(request.user, keep=request.session.session_key)
    if ended:
        messages.success(request, f"Logged out of {ended} other session{'s' if ended != 1 else ''}. This one stays.")
    else:
        messages.success(request, "You were not logged in anywhere else.")
    return redirect("account:home")


@login_required
@require_POST
def two_factor_start(request):
    try:
        two_factor.do_begin(request.user)
    except two_factor.Refused as refused:
        messages.error(request, str(refused))
    return redirect(reverse("account:home") + "#two-factor")


def _show_codes(request, codes, heading):
    response = render(request, "accounts/recovery_codes.html", {"codes": codes, "heading": heading})
    response["Cache-Control"] = "no-store"  # shown once: not kept by the browser
    return response


@login_required
@require_POST
def two_factor_confirm(request):
    form = CodeForm(request.POST)
    try:
        codes = two_factor.do_confirm(request.user, form.data.get("code", ""))
    except two_factor.Refused as refused:
        messages.error(request, str(refused))
        return redirect(reverse("account:home") + "#two-factor")
    return _show_codes(request, codes, "Two-factor sign-in is on")


@login_required
@require_POST
def two_factor_off(request):
    try:
        two_factor.do_turn_off(request.user, request.POST.get("code", ""))
    except two_factor.Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Two-factor sign-in is off: logging in needs only your password.")
    return redirect(reverse("account:home") + "#two-factor")


@login_required
@require_POST
def recovery_codes(request):
    try:
        codes = two_factor.do_new_recovery_codes(request.user, request.POST.get("code", ""))
    except two_factor.Refused as refused:
        messages.error(request, str(refused))
        return redirect(reverse("account:home") + "#two-factor")
    return _show_codes(request, codes, "New recovery codes")


@never_cache
def login_code(request):
    """The second step of logging in, for a person with two-factor on. Wrong codes count in the login throttle."""
    pending = signin.pending(request)
    if pending is None:
        messages.error(request, "Log in again: the code must be typed within 5 minutes of the password.")
        return redirect("login")
    form = CodeForm(request.POST or None)
    context = {"form": form, "unreadable": not two_factor.authenticator_readable(pending.user)}
    if request.method == "POST":
        attempt = signin.reserve(request, pending)
        if attempt.refused:
            return signin.locked_out(request, attempt, context)
        if form.is_valid() and two_factor.check_code(pending.user, form.cleaned_data["code"]):
            signin.finish(request, pending, attempt)
            return redirect(pending.next_url)
        form.add_error("code", UNREADABLE_CODE if context["unreadable"] else WRONG_CODE)
        return render(request, "accounts/login_code.html", context, status=400)
    return render(request, "accounts/login_code.html", context)


# --- invitations: following the link -----------------------------------------------------------------------


def _gone(request, gone: invitations.Gone):
    return render(request, "accounts/invitation_gone.html", {"reason": str(gone)}, status=410)


@never_cache
def accept_invitation(request, token: str):
    try:
        invitation = invitations.usable(token)
    except invitations.Gone as gone:
        return _gone(request, gone)
    existing = invitations.user_with_email(invitation.email)
    context = {"invitation": invitation, "existing": existing, "token": token}
    if existing is not None:
        return _accept_existing(request, invitation, token, context)
    form = AcceptForm(request.POST or None, invitation=invitation)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                membership = invitations.do_accept_new(token, form.cleaned_data["name"], form.cleaned_data["password1"])
        except invitations.Gone as gone:
            return _gone(request, gone)
        except invitations.Refused as refused:
            form.add_error(None, str(refused))
        else:
            if request.user.is_authenticated:
                logout(request)
            login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, f"Welcome to {membership.business.name}, {membership.user.first_name}.")
            return redirect("business", slug=membership.business.slug)
    status = 400 if form.is_bound else 200
    return render(request, "accounts/accept.html", context, status=status)


def _accept_existing(request, invitation, token, context):
    """A person who has an account already (an agency's staff): log in as them, then accept."""
    here = reverse("account:invite", args=[token])
    context["login_url"] = f"{reverse('login')}?{urlencode({REDIRECT_FIELD_NAME: here})}"
    context["signed_in_as_invitee"] = request.user.is_authenticated and invitations.addressed_to(
        invitation, request.user
    )
    if request.method == "POST" and request.user.is_authenticated:
        try:
            with transaction.atomic():
                membership = invitations.do_accept_existing(token, request.user)
        except invitations.Gone as gone:
            return _gone(request, gone)
        except invitations.Refused as refused:
            context["refused"] = str(refused)
            return render(request, "accounts/accept.html", context, status=400)
        messages.success(request, f"You are now a member of {membership.business.name}, as {membership.role}.")
        return redirect("business", slug=membership.business.slug)
    return render(request, "accounts/accept.html", context, status=400 if request.method == "POST" else 200)


# --- password reset ----------------------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/mail/password_reset.txt"
    success_url = reverse_lazy("account:password-reset-sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("account:password-reset-complete")
    post_reset_login = False  # logging in still asks for the two-factor code of those who have it on


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
