"""Compare page: a re-run against its parent (`?run=<folder under the runs root>`)."""
from ui import compare_view
from ui.i18n import current_lang

compare_view.page(current_lang())
