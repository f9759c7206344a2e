"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from gridgov.access import models as access_models  # noqa: F401
from gridgov.disputes import models as disputes_models  # noqa: F401
from gridgov.events import models as events_models  # noqa: F401
from gridgov.events import review_models as events_review_models  # noqa: F401
from gridgov.integration import models as integration_models  # noqa: F401
from gridgov.open311 import models as open311_models  # noqa: F401
from gridgov.people import models as people_models  # noqa: F401
from gridgov.places import models as places_models  # noqa: F401
from gridgov.regions import models as regions_models  # noqa: F401
from gridgov.sensors import models as sensors_models  # noqa: F401
