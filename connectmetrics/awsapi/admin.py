"""Admin for the drop-in endpoint's AWS access keys: the secret is shown once, then never."""

from django.contrib import admin

from connectmetrics.api.admin import CredentialAdmin, CredentialForm
from connectmetrics.awsapi.keys import give_secret
from connectmetrics.models import AwsAccessKey


class AwsAccessKeyForm(CredentialForm):
    class Meta:
        model = AwsAccessKey
        fields = ["name", "all_instances", "instances"]


@admin.register(AwsAccessKey)
class AwsAccessKeyAdmin(CredentialAdmin):
    form = AwsAccessKeyForm
    noun = "AWS access key"
    shown_field = "access_key_id"
    search_fields = ["name", "access_key_id"]
    give_secret = staticmethod(give_secret)
    shown_once = (
        "The AWS access key for {credential.name}: AWS_ACCESS_KEY_ID={credential.access_key_id} "
        "AWS_SECRET_ACCESS_KEY={secret} — copy the secret now: it is kept encrypted and will "
        "not be shown again. Point the SDK's endpoint URL at this site's /aws."
    )
