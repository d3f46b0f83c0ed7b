from bench.urls import urlpatterns as bare
from portal.urls import urlpatterns as portal

urlpatterns = [*bare, *portal]
