"""The people pages. Business pages are tenant routes (each has a cross-tenant test); the `account:`
namespace holds the pages of the signed-in person themselves, and the ones a link in a mail opens."""

from django.urls import include, path

from textback.accounts import views

account = [
    path("account", views.account, name="home"),
    path("account/sessions/log-out-others", views.log_out_other_sessions, name="log-out-others"),
    path("account/two-factor/start", views.two_factor_start, name="two-factor-start"),
    path("account/two-factor/confirm", views.two_factor_confirm, name="two-factor-confirm"),
    path("account/two-factor/off", views.two_factor_off, name="two-factor-off"),
    path("account/two-factor/recovery-codes", views.recovery_codes, name="recovery-codes"),
    path("login/code", views.login_code, name="login-code"),
    path("invite/<str:token>", views.accept_invitation, name="invite"),
    path("password-reset", views.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent", views.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("password-reset/done", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
]

urlpatterns = [
    path("", include((account, "account"))),
    path("sandbox/<slug:slug>/mailbox", views.mailbox, name="mailbox"),
    path("sandbox/<slug:slug>/mailbox/<int:pk>", views.mail, name="mail"),
    path("b/<slug:slug>/staff", views.staff_page, name="staff"),
    path("b/<slug:slug>/staff/invite", views.invite, name="staff-invite"),
    path("b/<slug:slug>/staff/invitations/<int:pk>/resend", views.invitation_resend, name="invitation-resend"),
    path("b/<slug:slug>/staff/invitations/<int:pk>/revoke", views.invitation_revoke, name="invitation-revoke"),
    path("b/<slug:slug>/staff/<int:pk>", views.member, name="member"),
    path("b/<slug:slug>/staff/<int:pk>/remove", views.member_remove, name="member-remove"),
    path("b/<slug:slug>/me", views.my_settings, name="my-settings"),
    path("b/<slug:slug>/me/phone/code", views.my_phone_code, name="my-phone-code"),
    path("b/<slug:slug>/me/phone/verify", views.my_phone_verify, name="my-phone-verify"),
]
