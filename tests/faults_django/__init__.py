"""A Django project for fault injection: the faults of ``apps.faults_common`` through Django."""
