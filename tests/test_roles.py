from django.contrib.auth.models import Group


def test_roles_are_created_with_their_permissions(db):
    pharmacist = set(
        Group.objects.get(name="Pharmacist").permissions.values_list("codename", flat=True)
    )
    reviewer = set(
        Group.objects.get(name="Reviewer").permissions.values_list("codename", flat=True)
    )
    assert {"change_drug", "add_sideeffect", "delete_faq"} <= pharmacist
    assert "publish_drug" not in pharmacist
    assert pharmacist < reviewer
    assert {"publish_drug", "review_drug", "delete_drug"} <= reviewer
