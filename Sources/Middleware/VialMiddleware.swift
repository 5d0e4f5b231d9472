import Vial
