"""Jobs page: the background queue under the runs root, live, with cancel and max parallel."""
from ui import jobs_panel
from ui.i18n import current_lang

jobs_panel.page(current_lang())
