"""The example Django backend that Shipyard's demo builds, pushes and deploys."""
